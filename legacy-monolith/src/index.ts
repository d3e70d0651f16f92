/**
 * legacy-monolith: start({ config, port }) -> { url, port, close }. Opens PostgreSQL (and applies
 * the migrations), Redis when configured (waiting briefly for it, never failing on it), and the
 * on-disk model registry, then serves the app; close() releases them after the server stopped.
 */
import { createPgPool, migrate, openRedis, startApp, type RunningService, type StartOptions } from '@smp/platform';
import { openRegistry } from '@smp/ml';
import { createApp, SERVICE, type MonolithDeps } from './app.js';
import { parseConfig, type Config } from './config.js';
import { migrations, MIGRATIONS_TABLE } from './storage/migrations.js';

export { createApp, parseConfig, SERVICE, type Config, type MonolithDeps };
export { migrations, MIGRATIONS_TABLE };

export function start(options: Partial<StartOptions<Config>> = {}): Promise<RunningService> {
  const config = options.config ?? parseConfig({});
  return startApp(
    SERVICE,
    async (deps) => {
      const pool = createPgPool(config.DATABASE_URL, deps.logger, { max: config.DATABASE_POOL_SIZE, applicationName: SERVICE, tracer: deps.tracer });
      deps.closer.add('postgres pool', () => pool.end());
      const applied = await migrate(pool, { table: MIGRATIONS_TABLE, migrations });
      if (applied.length) deps.logger.info('database migrations applied', { versions: applied });
      const redis = config.REDIS_URL
        ? await openRedis(config.REDIS_URL, deps.logger, { closer: deps.closer, keyPrefix: config.REDIS_KEY_PREFIX, name: SERVICE })
        : null;
      const modelRegistry = openRegistry(config.MODEL_REGISTRY_DIR);
      const full: MonolithDeps = { ...deps, pool, redis, modelRegistry };
      return createApp(full);
    },
    { ...options, config },
  );
}
