/**
 * anomaly-service: start({ config, port }) -> { url, port, close }. Opens PostgreSQL and applies
 * this service's own migrations (a database down at start is retried later, not fatal), Redis when
 * configured (waiting briefly so the first drift calls already share the monolith's budget), and
 * the shared on-disk model registry; close() releases them after the server stopped.
 */
import { createPgPool, openRedis, startApp, type RunningService, type StartOptions } from '@smp/platform';
import { openRegistry } from '@smp/ml';
import { createApp, DEFAULT_ANOMALY_MODEL, SERVICE, type AnomalyServiceDeps } from './app.js';
import { parseConfig, type Config } from './config.js';
import { migrations, MIGRATIONS_TABLE } from './store/migrations.js';
import { OwnSchema } from './store/own-schema.js';

export { createApp, DEFAULT_ANOMALY_MODEL, parseConfig, SERVICE, type AnomalyServiceDeps, type Config };
export { migrations, MIGRATIONS_TABLE };

export function start(options: Partial<StartOptions<Config>> = {}): Promise<RunningService> {
  const config = options.config ?? parseConfig({});
  return startApp(
    SERVICE,
    async (deps) => {
      const pool = createPgPool(config.DATABASE_URL, deps.logger, { max: config.DATABASE_POOL_SIZE, applicationName: SERVICE, tracer: deps.tracer });
      deps.closer.add('postgres pool', () => pool.end());
      const schema = new OwnSchema(pool, deps.logger);
      await schema.start();
      const redis = config.REDIS_URL
        ? await openRedis(config.REDIS_URL, deps.logger, {
            closer: deps.closer,
            keyPrefix: config.REDIS_KEY_PREFIX,
            name: SERVICE,
            notReadyMessage: 'redis not ready at start; drift limits are per process until it is',
          })
        : null;
      const full: AnomalyServiceDeps = { ...deps, pool, redis, schema, modelRegistry: openRegistry(config.MODEL_REGISTRY_DIR) };
      return createApp(full);
    },
    { ...options, config },
  );
}
