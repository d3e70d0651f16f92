/**
 * anomaly-service: detect_anomaly and check_drift extracted from the monolith, plus the routes
 * only this service has (thresholds, drift status, alert history), wired from injected
 * dependencies:
 *
 *   const app = createApp({ config, logger, registry, closer, pool, redis, modelRegistry, schema });
 * Legacy routes answer byte-identically to the monolith's (the same shared operations, schemas,
 * auth and Redis-shared drift limiter); `/api/v1/anomaly/*` has the same auth, errors and ids.
 */
import { randomUUID } from 'node:crypto';
import {
  acceptedApiKeys,
  createApiKeyAuth,
  createFixedWindowLimiter,
  createHttpApp,
  finishHttpApp,
  legacyBodyReaders,
  type AppDeps,
  type PgPool,
  type Redis,
} from '@smp/platform';
import { ANOMALY_MODEL_NAME, DRIFT_RATE_LIMIT, type ModelRegistry } from '@smp/ml';
import type { Express } from 'express';
import type { Config } from './config.js';
import { mountAnomalyRoutes } from './routes/anomaly-routes.js';
import { mountHealthRoutes } from './routes/health-routes.js';
import { mountLegacyRoutes } from './routes/legacy-routes.js';
import { AlertHistory } from './store/alert-history.js';
import { AlertWriter } from './store/alert-writer.js';
import { DriftResultStore } from './store/drift-results.js';
import { OwnSchema } from './store/own-schema.js';
import { PgReadingsReader } from './store/readings-reader.js';
import { ThresholdStore } from './store/thresholds.js';

export const SERVICE = 'anomaly-service';

/** The model detect_anomaly uses when the body names none (health checks that it resolves). */
export const DEFAULT_ANOMALY_MODEL = ANOMALY_MODEL_NAME;

/** Everything the app talks to, opened by `start()` (or a test) and owned by its closer. */
export interface AnomalyServiceDeps extends AppDeps<Config> {
  pool: PgPool;
  /** null: REDIS_URL unset, the drift budget is per process. */
  redis: Redis | null;
  modelRegistry: ModelRegistry;
  /** This service's own tables; `start()` tries to migrate them before serving. */
  schema: OwnSchema;
  /** Default: the wall clock. */
  now?: () => Date;
  /** Default: randomUUID. */
  newId?: () => string;
}

export function createApp(deps: AnomalyServiceDeps): Express {
  const { config, logger, pool } = deps;
  const app = createHttpApp({ service: SERVICE, logger, registry: deps.registry, tracer: deps.tracer });
  // As the monolith: behind the proxy, take the client address from a trusted hop's
  // X-Forwarded-For, so both key the per-IP drift budget on the same client.
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(legacyBodyReaders());

  const now = deps.now ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  // Per route, as the monolith's (FastAPI Security()): unknown paths 404 whatever the key.
  const auth = createApiKeyAuth({ keys: acceptedApiKeys(config), allowAnonymous: config.ALLOW_ANONYMOUS_API_ACCESS, exempt: () => false });
  const driftLimiter = createFixedWindowLimiter({ ...DRIFT_RATE_LIMIT, redis: deps.redis ?? undefined, logger });
  deps.closer.add('drift rate limiter', () => driftLimiter.close());

  const readings = new PgReadingsReader(pool);
  const thresholds = new ThresholdStore(pool);
  const driftResults = new DriftResultStore(pool);

  mountHealthRoutes(app, {
    pool,
    redis: deps.redis,
    schema: deps.schema,
    modelRegistry: deps.modelRegistry,
    defaultModel: DEFAULT_ANOMALY_MODEL,
    enforce: config.HEALTHCHECK_ENFORCE_DEPENDENCIES,
    logger,
    now,
  });
  mountLegacyRoutes(app, {
    auth,
    driftLimiter,
    detect: { registry: deps.modelRegistry, readings, now, newId },
    drift: { readings, now, newId },
    schema: deps.schema,
    thresholds,
    alerts: new AlertWriter(pool),
    driftResults,
    logger,
  });
  mountAnomalyRoutes(app, { pool, auth, schema: deps.schema, thresholds, driftResults, alerts: new AlertHistory(pool) });
  return finishHttpApp(app, { logger });
}
