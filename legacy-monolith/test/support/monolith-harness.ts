/**
 * Starts the real monolith for a test: its own throw-away PostgreSQL database, its own Redis key
 * prefix (or no Redis), port 0, silent logs. `close()` stops it and removes what it created.
 *
 *   const m = await startMonolith({ env: { API_KEYS: 'k1' } });
 *   await http(`${m.url}/api/v1/data/ingest`, { body: {…} });
 *   await m.close();
 */
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@smp/platform/testkit';
import { silentLogger, type Env, type RunningService } from '@smp/platform';
import pg from 'pg';
import { parseConfig, start } from '../../src/index.js';

export interface MonolithUnderTest {
  url: string;
  db: TestDatabase;
  redis: TestRedis | null;
  /** A direct connection to the test database, for arranging and checking rows. */
  sql: pg.Pool;
  running: RunningService;
  close(): Promise<void>;
}

export interface StartMonolithOptions {
  env?: Env;
  /** Reuse a database (two instances sharing one); it is then not dropped by this instance. */
  db?: TestDatabase;
  /** Reuse a Redis prefix, or `false` for none (in-process state). Default: a fresh prefix. */
  redis?: TestRedis | false;
}

export async function startMonolith(options: StartMonolithOptions = {}): Promise<MonolithUnderTest> {
  const ownDb = !options.db;
  const db = options.db ?? (await createTestDatabase('mono'));
  const ownRedis = options.redis === undefined;
  const redis = options.redis === false ? null : (options.redis ?? createTestRedis());
  const env: Env = {
    LOG_LEVEL: 'error',
    DATABASE_URL: db.url,
    // The repository's models/ unless the run points elsewhere (e.g. a freshly trained registry).
    ...(process.env.MODEL_REGISTRY_DIR ? { MODEL_REGISTRY_DIR: process.env.MODEL_REGISTRY_DIR } : {}),
    ...(redis ? { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix } : {}),
    ...(options.env ?? {}),
  };
  const running = await start({ config: parseConfig(env), port: 0, logger: silentLogger('legacy-monolith') });
  const sql = new pg.Pool({ connectionString: db.url, max: 2 });
  // Tests that cut connections must not crash the run through an idle client's error.
  sql.on('error', () => undefined);
  return {
    url: running.url,
    db,
    redis,
    sql,
    running,
    async close() {
      await running.close();
      await sql.end();
      if (ownRedis && redis) await redis.cleanup();
      if (ownDb) await db.drop();
    },
  };
}

/** A valid AI4I feature set (a healthy machine). */
export const HEALTHY_FEATURES = Object.freeze({
  Air_temperature_K: 298.1,
  Process_temperature_K: 308.6,
  Rotational_speed_rpm: 1551,
  Torque_Nm: 42.8,
  Tool_wear_min: 108,
});
