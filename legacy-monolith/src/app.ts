/**
 * legacy-monolith: the Smart Maintenance SaaS API (../shared/seed-api.md), wired from injected
 * dependencies. Every route keeps the legacy order of checks: the API key first (403), then the
 * request's validation (422), then the drift rate limit (429), then the work.
 *
 *   const app = createApp({ config, logger, registry, closer, pool, redis, models: modelRegistry });
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
import { DRIFT_RATE_LIMIT, type ModelRegistry } from '@smp/ml';
import type { Express } from 'express';
import type { Config } from './config.js';
import { createMemoryIdempotencyStore, createRedisIdempotencyStore } from './idempotency.js';
import { decisionRoutes } from './routes/decisions.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import { mlRoutes } from './routes/ml.js';
import { reportRoutes } from './routes/reports.js';
import { sensorRoutes } from './routes/sensors.js';
import { simulationRoutes } from './routes/simulate.js';
import { AlertsStore } from './storage/alerts-store.js';
import { DecisionsStore } from './storage/decisions-store.js';
import { ReadingsStore } from './storage/readings-store.js';

export const SERVICE = 'legacy-monolith';

/** Everything the app talks to, opened by `start()` (or a test) and owned by its closer. */
export interface MonolithDeps extends AppDeps<Config> {
  pool: PgPool;
  /** null: REDIS_URL unset, state is in-process. */
  redis: Redis | null;
  modelRegistry: ModelRegistry;
  /** Default: the wall clock. */
  now?: () => Date;
  /** Default: randomUUID. */
  newId?: () => string;
}

/** What the route modules share. */
export interface RouteContext {
  config: Config;
  deps: MonolithDeps;
  readings: ReadingsStore;
  alerts: AlertsStore;
  decisions: DecisionsStore;
  now: () => Date;
  newId: () => string;
}

export function createApp(deps: MonolithDeps): Express {
  const { config, logger } = deps;
  const app = createHttpApp({ service: SERVICE, logger, registry: deps.registry, tracer: deps.tracer });
  // Behind the edge proxy the peer is the proxy: take the client address from X-Forwarded-For
  // when (and only when) the peer is a trusted hop, so per-IP rate limits stay per client.
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(legacyBodyReaders());

  const ctx: RouteContext = {
    config,
    deps,
    readings: new ReadingsStore(deps.pool),
    alerts: new AlertsStore(deps.pool),
    decisions: new DecisionsStore(deps.pool),
    now: deps.now ?? (() => new Date()),
    newId: deps.newId ?? randomUUID,
  };
  // FastAPI's Security() dependency ran per route, so unknown paths still 404 whatever the key.
  const auth = createApiKeyAuth({ keys: acceptedApiKeys(config), allowAnonymous: config.ALLOW_ANONYMOUS_API_ACCESS, exempt: () => false });
  const idempotency = deps.redis ? createRedisIdempotencyStore(deps.redis, logger) : createMemoryIdempotencyStore();
  const driftLimiter = createFixedWindowLimiter({ ...DRIFT_RATE_LIMIT, redis: deps.redis ?? undefined, logger });
  deps.closer.add('idempotency store', () => idempotency.close());
  deps.closer.add('drift rate limiter', () => driftLimiter.close());

  healthRoutes(app, ctx);
  ingestRoutes(app, ctx, { auth, idempotency });
  sensorRoutes(app, ctx, { auth });
  mlRoutes(app, ctx, { auth, driftLimiter });
  decisionRoutes(app, ctx, { auth });
  reportRoutes(app, ctx, { auth });
  simulationRoutes(app, ctx);
  return finishHttpApp(app, { logger });
}
