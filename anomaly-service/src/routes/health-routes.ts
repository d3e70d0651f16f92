/**
 * `GET /health`: the monolith's probe body (`status`, `database`, `redis`, `timestamp`, 200 with
 * "degraded", 503 only when HEALTHCHECK_ENFORCE_DEPENDENCIES is on), plus what this service needs
 * beyond it, before `timestamp`:
 *
 *   {"status":"degraded","database":"ok","redis":"ok",
 *    "tables":"failed","missing_tables":["sensor_readings","anomaly_alerts"],
 *    "migrations":"ok","model_registry":"ok","timestamp":"2025-08-21T10:00:00.123456"}
 * `tables`: the monolith's tables this service reads (it never creates them), `missing_tables`
 * which of them do not exist yet (null when the database cannot be asked); `migrations`: its own
 * tables; `model_registry`: whether the default isolation forest resolves. Without REDIS_URL,
 * `redis` is "failed" as in the monolith: the drift budget is then per process, not shared.
 */
import { AppError, handle, legacyTimestamp, type Logger, type PgPool, type Redis } from '@smp/platform';
import type { ModelRegistry } from '@smp/ml';
import type { Express } from 'express';
import { missingTables } from '../store/legacy-tables.js';
import type { OwnSchema } from '../store/own-schema.js';

export interface HealthDeps {
  pool: PgPool;
  redis: Redis | null;
  schema: OwnSchema;
  modelRegistry: Pick<ModelRegistry, 'resolveVersion'>;
  /** The model detect_anomaly uses by default. */
  defaultModel: string;
  enforce: boolean;
  logger: Logger;
  now: () => Date;
}

type Check = 'ok' | 'failed';

export function mountHealthRoutes(app: Express, deps: HealthDeps): void {
  const quietly = async (what: string, probe: () => Promise<unknown>): Promise<boolean> => {
    try {
      await probe();
      return true;
    } catch (err) {
      deps.logger.warn(`${what} health check failed`, { error: (err as Error).message });
      return false;
    }
  };

  app.get(
    '/health',
    handle(async (_req, res) => {
      let missing: string[] | undefined;
      const [database, redis, model] = await Promise.all([
        quietly('database', async () => {
          missing = await missingTables(deps.pool);
        }),
        deps.redis ? quietly('redis', () => deps.redis!.ping()) : Promise.resolve(false),
        quietly('model registry', async () => {
          if (!(await deps.modelRegistry.resolveVersion(deps.defaultModel, 'auto'))) throw new Error(`model ${deps.defaultModel} not registered`);
        }),
      ]);
      const migrated = database ? await quietly('migrations', () => deps.schema.ready()) : false;
      const tables = database && missing !== undefined && missing.length === 0;
      const check = (ok: boolean): Check => (ok ? 'ok' : 'failed');
      const body = {
        status: database && redis && tables && migrated && model ? 'ok' : 'degraded',
        database: check(database),
        redis: check(redis),
        tables: check(tables),
        missing_tables: missing ?? null,
        migrations: check(migrated),
        model_registry: check(model),
        timestamp: legacyTimestamp(deps.now()),
      };
      if (body.status !== 'ok' && deps.enforce) throw new AppError('SERVICE_UNAVAILABLE', body);
      res.json(body);
    }),
  );
}
