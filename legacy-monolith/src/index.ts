/**
 * legacy-monolith: start({ config, port }) -> { url, port, close }. Opens PostgreSQL (and applies
 * the migrations), Redis when configured (waiting briefly for it, never failing on it), and the
 * on-disk model registry, then serves the app; close() releases them after the server stopped.
 */
import { closeRedis, createPgPool, createRedis, migrate, startApp, type Logger, type Redis, type RunningService, type StartOptions } from '@smp/platform';
import { openRegistry } from '@smp/ml';
import { createApp, SERVICE, type MonolithDeps } from './app.js';
import { parseConfig, type Config } from './config.js';
import { migrations, MIGRATIONS_TABLE } from './storage/migrations.js';

export { createApp, parseConfig, SERVICE, type Config, type MonolithDeps };
export { migrations, MIGRATIONS_TABLE };

/** How long start() waits for Redis before serving in degraded mode. */
const REDIS_READY_TIMEOUT_MS = 2_000;

async function openRedis(url: string, prefix: string, logger: Logger): Promise<Redis> {
  const redis = createRedis(url, logger, { keyPrefix: prefix, name: 'legacy-monolith' });
  if (redis.status !== 'ready') {
    await new Promise<void>((resolve) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        redis.off('ready', onReady);
        logger.warn('redis not ready at start, serving without it until it is', { timeout_ms: REDIS_READY_TIMEOUT_MS });
        resolve();
      }, REDIS_READY_TIMEOUT_MS);
      redis.once('ready', onReady);
    });
  }
  return redis;
}

export function start(options: Partial<StartOptions<Config>> = {}): Promise<RunningService> {
  const config = options.config ?? parseConfig({});
  return startApp(
    SERVICE,
    async (deps) => {
      const pool = createPgPool(config.DATABASE_URL, deps.logger, { max: config.DATABASE_POOL_SIZE, applicationName: SERVICE });
      deps.closer.add('postgres pool', () => pool.end());
      const applied = await migrate(pool, { table: MIGRATIONS_TABLE, migrations });
      if (applied.length) deps.logger.info('database migrations applied', { versions: applied });
      let redis: Redis | null = null;
      if (config.REDIS_URL) {
        const client = await openRedis(config.REDIS_URL, config.REDIS_KEY_PREFIX, deps.logger);
        deps.closer.add('redis', () => closeRedis(client));
        redis = client;
      }
      const modelRegistry = openRegistry(config.MODEL_REGISTRY_DIR);
      const full: MonolithDeps = { ...deps, pool, redis, modelRegistry };
      return createApp(full);
    },
    { ...options, config },
  );
}
