/**
 * Starts the real anomaly service for a test: a throw-away PostgreSQL database (optionally with
 * the monolith's schema applied by the monolith's own migrations, as in production), its own
 * Redis key prefix, port 0, silent logs; and, when asked, the real monolith on the same database
 * and Redis prefix. `close()` stops everything and removes what it created.
 *
 *   const s = await startAnomalyStack({ legacySchema: true, monolith: true, env: { API_KEYS: 'k1' } });
 *   await http(`${s.url}/api/v1/ml/check_drift`, { body: { sensor_id: 'pump-7' } });
 *   await s.close();
 */
import { migrate, silentLogger, type Env, type RunningService } from '@smp/platform';
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from '@smp/platform/testkit';
import * as monolith from '@smp/legacy-monolith';
import pg from 'pg';
import { parseConfig, start } from '../../src/index.js';

export interface AnomalyStack {
  /** The anomaly service. */
  url: string;
  service: RunningService;
  /** The monolith on the same database and Redis prefix, when started. */
  monolithUrl?: string;
  db: TestDatabase;
  redis: TestRedis;
  /** A direct connection to the test database, for arranging and checking rows. */
  sql: pg.Pool;
  /** Apply the monolith's migrations now (as the monolith does at its start). */
  applyLegacySchema(): Promise<void>;
  close(): Promise<void>;
}

export interface AnomalyStackOptions {
  env?: Env;
  /** Create the monolith's tables before the service starts (by its migrations). */
  legacySchema?: boolean;
  /** Also start the monolith (which migrates its schema itself). */
  monolith?: boolean;
  monolithEnv?: Env;
}

export async function startAnomalyStack(options: AnomalyStackOptions = {}): Promise<AnomalyStack> {
  const db = await createTestDatabase('anomaly');
  const redis = createTestRedis();
  const sql = new pg.Pool({ connectionString: db.url, max: 3 });
  sql.on('error', () => undefined);
  const opened: RunningService[] = [];
  const applyLegacySchema = async () => {
    await migrate(sql, { table: monolith.MIGRATIONS_TABLE, migrations: monolith.migrations });
  };
  const base: Env = { LOG_LEVEL: 'error', DATABASE_URL: db.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix };
  try {
    let monolithUrl: string | undefined;
    if (options.monolith) {
      const m = await monolith.start({
        config: monolith.parseConfig({ ...base, ...(options.env ?? {}), ...(options.monolithEnv ?? {}) }),
        port: 0,
        logger: silentLogger('legacy-monolith'),
      });
      opened.push(m);
      monolithUrl = m.url;
    } else if (options.legacySchema) {
      await applyLegacySchema();
    }
    const service = await start({ config: parseConfig({ ...base, ...(options.env ?? {}) }), port: 0, logger: silentLogger('anomaly-service') });
    opened.push(service);
    return {
      url: service.url,
      service,
      monolithUrl,
      db,
      redis,
      sql,
      applyLegacySchema,
      async close() {
        for (const s of opened.reverse()) await s.close();
        await sql.end();
        await redis.cleanup();
        await db.drop();
      },
    };
  } catch (err) {
    for (const s of opened.reverse()) await s.close().catch(() => undefined);
    await sql.end().catch(() => undefined);
    await redis.cleanup().catch(() => undefined);
    await db.drop().catch(() => undefined);
    throw err;
  }
}

/** Store readings of one sensor directly, `minutesApart` apart ending at `end` (oldest first in `values`). */
export async function insertReadings(sql: pg.Pool, sensorId: string, values: readonly number[], end: Date, minutesApart = 1): Promise<void> {
  const times = values.map((_, i) => new Date(end.getTime() - (values.length - 1 - i) * minutesApart * 60_000).toISOString());
  await sql.query(
    `INSERT INTO sensor_readings (sensor_id, sensor_type, value, unit, "timestamp", quality)
     SELECT $1, 'temperature', v, 'C', t, 1.0 FROM unnest($2::float8[], $3::timestamptz[]) AS u(v, t)`,
    [sensorId, values, times],
  );
}
