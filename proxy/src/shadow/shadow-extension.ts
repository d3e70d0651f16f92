/**
 * Wires shadowing, comparison, recording, judging and rollback into the proxy through its seams
 * (`extend(core)` of createApp): a CandidateGate, an ExchangeTap, admin routes and status sections.
 *
 *   const shadow = createShadowExtension();
 *   const proxy = await start({ config, extend: shadow.extend });
 *   shadow.subsystem.controller.tick()        // tests drive the judge step by step
 *
 *   gate      RollbackStore (Redis pub/sub when REDIS_URL is set, in-process otherwise)
 *   tap       ShadowTap (decide, copy; budget) -> ShadowLink -> shadow worker thread:
 *   worker    MirrorClient (own pools) -> PairPipeline: compare + ComparisonRecorder (PostgreSQL)
 *   events    back on this thread: metrics, PairWindows (the judge's), NoiseCalibrator
 *   loop      RollbackController every JUDGE_INTERVAL_MS -> store + Unleash + event + webhook
 *   admin     POST /routes/:id/resume, GET /comparisons, GET /comparisons/summary, GET /comparisons/noise,
 *             GET /report (HTML, report/report-routes.ts)
 *   status    `judge` (each route's verdict, evidence, rollback state) and `shadow` (budget, queue)
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { AppError, createPgPool, type PgPool } from '@smp/platform';
import type { ProxyCore, ProxyHooks } from '../app.js';
import type { AdminRequest, AdminRoute, StatusSection } from '../admin/admin-route.js';
import { PairWindows } from '../analysis/pair-window.js';
import { RollbackController, type RollbackAction, type RouteJudging } from '../analysis/rollback-controller.js';
import { rollbackWebhook } from '../analysis/rollback-webhook.js';
import { unleashFlagSwitch } from '../analysis/unleash-flag-switch.js';
import { NoiseCalibrator } from '../compare/noise-calibrator.js';
import { listComparisons, summarizeComparisons } from '../report/comparison-query.js';
import { reportWiring } from '../report/report-routes.js';
import { migrateReportSchema } from '../report/report-schema.js';
import { RetentionPurger } from '../report/retention.js';
import { rollbackEventRecorder } from '../report/rollback-events.js';
import { parseSince } from '../report/summary-format.js';
import { createCandidateGate } from '../state/candidate-gate.js';
import { RedisRollbackStore } from '../state/redis-rollback-store.js';
import { MemoryRollbackStore, type RollbackStore } from '../state/rollback-store.js';
import { RouteSettingsCache, validateRouteSettings, type SettingsDefaults } from './route-settings.js';
import type { ShadowConfig } from './shadow-env.js';
import { ShadowMetrics } from './shadow-metrics.js';
import { ShadowLink } from './shadow-link.js';
import { ShadowTap } from './shadow-tap.js';
import type { FromWorker } from './worker-protocol.js';

export interface ShadowExtensionOptions {
  /** Wall clock in ms (records, windows, rollback times); tests pass a fake one. */
  now?: () => number;
  /** Calibration sampling. */
  random?: () => number;
  /** Recorded as who decided a rollback; default `<host>:<pid>:<random>`. */
  replicaId?: string;
  /** Do not start the judge's timer: the caller drives `controller.tick()` (tests). */
  manualTicks?: boolean;
  /** Use this rollback store instead of building one from REDIS_URL. */
  store?: RollbackStore;
}

/** The running parts, for tests and for whoever embeds the proxy. */
export interface ShadowSubsystem {
  readonly replicaId: string;
  readonly store: RollbackStore;
  readonly controller: RollbackController;
  readonly windows: PairWindows;
  readonly calibrator: NoiseCalibrator;
  readonly pool: PgPool | null;
  /** The shadow worker thread (mirrors, comparison, recording) and the mirror budget. */
  readonly mirror: ShadowLink;
  readonly metrics: ShadowMetrics;
  readonly settings: RouteSettingsCache;
  /** The comparison schema is migrated (false while the database is unreachable). */
  schemaReady(): boolean;
}

export interface ShadowExtension {
  extend(core: ProxyCore): Promise<ProxyHooks>;
  /** Set once `extend` ran; throws before. */
  readonly subsystem: ShadowSubsystem;
}

const MIGRATE_RETRY_MS = 5_000;

function queryInt(q: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new AppError('VALIDATION_FAILED', `${name}: expected an integer 1..${max}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function querySince(q: URLSearchParams, now: number): Date {
  try {
    return parseSince(q.get('since') ?? '1h', now);
  } catch (err) {
    throw new AppError('VALIDATION_FAILED', (err as Error).message);
  }
}

export function createShadowExtension(options: ShadowExtensionOptions = {}): ShadowExtension {
  let subsystem: ShadowSubsystem | null = null;
  return {
    get subsystem(): ShadowSubsystem {
      if (subsystem === null) throw new Error('the shadow extension is not attached yet');
      return subsystem;
    },
    async extend(core: ProxyCore): Promise<ProxyHooks> {
      const config = core.config as unknown as ShadowConfig;
      if (!config.SHADOW_ENABLED) return {};
      const built = await build(core, config, options);
      subsystem = built.subsystem;
      return built.hooks;
    },
  };
}

async function build(core: ProxyCore, config: ShadowConfig, options: ShadowExtensionOptions): Promise<{ subsystem: ShadowSubsystem; hooks: ProxyHooks }> {
  const { logger, closer, registry } = core;
  const now = options.now ?? Date.now;
  const replicaId = options.replicaId ?? `${os.hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;

  const defaults: SettingsDefaults = {
    thresholds: {
      minPairs: config.JUDGE_MIN_PAIRS,
      confidence: config.JUDGE_CONFIDENCE,
      maxMismatchRate: config.JUDGE_MAX_MISMATCH_RATE,
      maxErrorRateIncrease: config.JUDGE_MAX_ERROR_RATE_INCREASE,
      latencyTest: config.JUDGE_LATENCY_TEST,
      maxLatencyRatio: config.JUDGE_MAX_LATENCY_RATIO,
      latencyAlpha: config.JUDGE_LATENCY_ALPHA,
      bootstrapIterations: 400,
      seed: 1,
    },
    failuresToRollback: config.JUDGE_FAILURES_TO_ROLLBACK,
  };
  // A bad shadow/compare/judge object refuses the start (like a bad route file); on reload it is logged.
  const problems = validateRouteSettings(core.routes.current, defaults);
  if (problems.length > 0) throw new Error(`Invalid shadow settings in the route table: ${problems.join('; ')}`);
  core.routes.onChange((table) => {
    const later = validateRouteSettings(table, defaults);
    if (later.length > 0) logger.error('invalid shadow settings in the reloaded route table; those routes use the defaults', { problems: later });
  });
  const settings = new RouteSettingsCache(defaults, (routeId, message) => logger.warn('route shadow settings invalid, using defaults', { route: routeId, error: message }));

  let store: RollbackStore;
  if (options.store) store = options.store;
  else if (config.REDIS_URL) {
    const redisStore = new RedisRollbackStore({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger, resyncMs: config.ROLLBACK_RESYNC_MS, now });
    closer.add('rollback state', () => redisStore.close());
    await redisStore.ready();
    store = redisStore;
  } else {
    store = new MemoryRollbackStore(now);
  }
  const gate = createCandidateGate(store);

  const windows = new PairWindows({ windowMs: config.JUDGE_WINDOW_MS, maxPairs: config.JUDGE_MAX_PAIRS });
  const calibrator = new NoiseCalibrator();
  // The gauges read the link at scrape time (it is created just below).
  const metrics = new ShadowMetrics(registry, { inFlight: () => mirror.inFlight, queueDepth: () => mirror.queued });
  const onEvent = (e: FromWorker): void => {
    const m = metrics;
    switch (e.t) {
      case 'pair':
        if (e.mirror !== null) m.mirror(e.route, e.side, e.mirror);
        if (e.comparison !== null) {
          m.comparison(e.route, e.comparison);
          if (e.comparison.sample !== null) windows.add(e.route, e.comparison.sample, e.comparison.at);
        }
        break;
      case 'noise':
        calibrator.observe(e.route, e.diffs);
        m.calibrated(e.route);
        break;
      case 'skip':
        m.skip(e.route, e.reason);
        break;
      case 'written':
        m.written.inc(e.count);
        break;
      case 'dropped':
        m.dropped.inc({ reason: e.reason }, e.count);
        break;
      case 'raised':
        m.raised(e.operation);
        break;
      case 'log':
        logger.log(e.level, e.message, e.meta);
        break;
      default:
        break;
    }
  };
  // Mirrors, comparison and recording run on the shadow worker thread, off the clients' event loop.
  const mirror = new ShadowLink({
    init: {
      mirror: {
        connections: config.SHADOW_CONNECTIONS,
        connectTimeoutMs: Math.min(2_000, config.SHADOW_TIMEOUT_MS),
        timeoutMs: config.SHADOW_TIMEOUT_MS,
        // The serving thread holds the budget; the worker's own bound also covers calibration requests.
        maxInFlight: config.SHADOW_MAX_IN_FLIGHT * 2,
        bodyCap: config.SHADOW_BODY_CAP_BYTES,
      },
      databaseUrl: config.DATABASE_URL ?? null,
      recorder: { maxQueue: config.RECORDER_QUEUE_MAX, batchSize: config.RECORDER_BATCH_SIZE, flushMs: config.RECORDER_FLUSH_MS },
      sampleBodyBytes: config.SHADOW_SAMPLE_BODY_BYTES,
      nice: config.SHADOW_WORKER_NICE,
      latencyWarmupPairs: config.SHADOW_LATENCY_WARMUP_PAIRS,
    },
    budget: config.SHADOW_MAX_IN_FLIGHT,
    logger,
    onEvent,
  });
  closer.add('shadow worker', () => mirror.close());
  if (!(await mirror.ready())) logger.error('the shadow worker did not start in time; mirroring resumes when it does');

  let pool: PgPool | null = null;
  let schemaReady = false;

  if (config.DATABASE_URL) {
    const pg = createPgPool(config.DATABASE_URL, logger, { max: 4, connectionTimeoutMillis: 2_000, statementTimeoutMillis: 10_000, applicationName: 'proxy-comparisons' });
    pool = pg;
    closer.add('comparison database', () => pg.end());
    let retry: NodeJS.Timeout | null = null;
    const migrateNow = async () => {
      try {
        const applied = await migrateReportSchema(pg);
        schemaReady = true;
        mirror.setSchemaReady(true);
        if (applied.length) logger.info('comparison schema migrated', { versions: applied });
      } catch (err) {
        logger.warn('comparison schema not migrated (database unavailable?); retrying, records are dropped meanwhile', { error: (err as Error).message });
        retry = setTimeout(() => void migrateNow(), MIGRATE_RETRY_MS);
        retry.unref();
      }
    };
    await migrateNow();
    closer.add('comparison schema retry', () => {
      if (retry) clearTimeout(retry);
    });
    const purger = new RetentionPurger({
      pool: pg,
      logger,
      rawHours: config.COMPARISON_RETENTION_HOURS,
      rollupDays: config.COMPARISON_ROLLUP_RETENTION_DAYS,
      intervalMs: config.COMPARISON_PURGE_INTERVAL_MS,
      ready: () => schemaReady,
    });
    purger.start();
    closer.add('retention purger', () => purger.close());
  }

  const tap = new ShadowTap({
    routes: () => core.routes.current,
    gate,
    settings,
    link: mirror,
    metrics,
    now,
    logger,
    requestBodyCap: config.SHADOW_BODY_CAP_BYTES,
    responseBodyCap: config.SHADOW_BODY_CAP_BYTES,
    random: options.random,
  });

  const actions: RollbackAction[] = [];
  if (pool) {
    const pg = pool;
    actions.push(rollbackEventRecorder(pg, () => schemaReady));
  }
  const unleashAdminUrl = config.UNLEASH_ADMIN_URL ?? config.UNLEASH_URL;
  if (config.UNLEASH_ADMIN_TOKEN && unleashAdminUrl) {
    const flagSwitch = unleashFlagSwitch({
      url: unleashAdminUrl,
      adminToken: config.UNLEASH_ADMIN_TOKEN,
      project: config.UNLEASH_PROJECT,
      environment: config.UNLEASH_ENVIRONMENT,
      timeoutMs: 3_000,
      logger,
    });
    closer.add('unleash admin client', () => flagSwitch.close());
    actions.push(flagSwitch);
  }
  if (config.ROLLBACK_WEBHOOK_URL) actions.push(rollbackWebhook({ url: config.ROLLBACK_WEBHOOK_URL, timeoutMs: config.ROLLBACK_WEBHOOK_TIMEOUT_MS }));

  const judged = (): RouteJudging[] =>
    core.routes.current.routes
      .filter((r) => r.candidate !== null)
      .map((r) => {
        const s = settings.get(r);
        return { routeId: r.id, thresholds: s.thresholds, failuresToRollback: s.failuresToRollback, flags: [r.flags.live, r.flags.shadow] };
      });
  const report = reportWiring({ pool: () => pool, ready: () => schemaReady, routes: () => core.routes.current.routes, flags: core.flags, judgeStatus: () => controller.status(), noise: calibrator, replicaId, logger, closer, now });
  const controller = new RollbackController({
    now,
    windows,
    store,
    replicaId,
    routes: judged,
    actions,
    flagEnabled: (flag) => core.flags.definition(flag)?.enabled,
    logger,
    onVerdict: (route, verdict) => {
      metrics.verdicts.inc({ route, verdict });
      report.onVerdict(route, verdict);
    },
    onRollback: (route) => metrics.rollbacks.inc({ route }),
  });
  closer.add('rollback controller', () => controller.close());
  if (!options.manualTicks) controller.start(config.JUDGE_INTERVAL_MS);
  for (const e of store.entries()) metrics.rolledBack.set({ route: e.routeId }, e.state === 'rolled-back' ? 1 : 0);
  const stopWatching = store.onChange((entry, previous) => {
    metrics.rolledBack.set({ route: entry.routeId }, entry.state === 'rolled-back' ? 1 : 0);
    if (previous?.state !== entry.state && entry.by !== replicaId) {
      logger.warn(`route ${entry.state === 'rolled-back' ? 'rolled back' : 'resumed'} by ${entry.by}`, { route: entry.routeId, reason: entry.reason });
    }
  });
  closer.add('rollback state watch', () => stopWatching());

  const needPool = (): PgPool => {
    if (pool === null) throw new AppError('SERVICE_UNAVAILABLE', 'Comparison store not configured: set DATABASE_URL');
    if (!schemaReady) throw new AppError('SERVICE_UNAVAILABLE', 'Comparison store unavailable: database not reachable');
    return pool;
  };
  const knownRoute = (req: AdminRequest): string => {
    const id = req.params.id;
    if (core.routes.current.byId(id) === undefined || id === 'unmatched') throw new AppError('NOT_FOUND', `Route '${id}' not found`);
    return id;
  };
  const routeFilter = (q: URLSearchParams): string | undefined => {
    const r = q.get('route');
    return r === null || r === '' ? undefined : r;
  };

  const adminRoutes: AdminRoute[] = [
    ...report.adminRoutes,
    {
      method: 'POST',
      path: '/routes/:id/resume',
      handle: async (req) => {
        const id = knownRoute(req);
        const given = (req.body as { reason?: unknown } | undefined)?.reason;
        const reason = typeof given === 'string' && given.trim() !== '' ? given.trim().slice(0, 500) : `POST /routes/${id}/resume`;
        const wasRolledBack = store.isRolledBack(id);
        const entry = await controller.resume(id, 'admin', reason);
        return { body: { route: id, state: entry.state, at: new Date(entry.at).toISOString(), wasRolledBack } };
      },
    },
    {
      method: 'GET',
      path: '/comparisons',
      handle: async (req) => {
        const outcome = req.query.get('outcome');
        if (outcome !== null && outcome !== '' && !['match', 'mismatch', 'not-compared'].includes(outcome)) {
          throw new AppError('VALIDATION_FAILED', `outcome: expected match, mismatch or not-compared, got ${JSON.stringify(outcome)}`);
        }
        const since = querySince(req.query, now());
        const limit = queryInt(req.query, 'limit', 100, 1_000);
        const comparisons = await listComparisons(needPool(), {
          route: routeFilter(req.query),
          since,
          limit,
          ...(outcome ? { outcome: outcome as 'match' | 'mismatch' | 'not-compared' } : {}),
        });
        return { body: { since: since.toISOString(), count: comparisons.length, comparisons } };
      },
    },
    {
      method: 'GET',
      path: '/comparisons/summary',
      handle: async (req) => {
        const since = querySince(req.query, now());
        return { body: await summarizeComparisons(needPool(), { route: routeFilter(req.query), since, now: new Date(now()) }) };
      },
    },
    {
      method: 'GET',
      path: '/comparisons/noise',
      handle: (req) => {
        const only = routeFilter(req.query);
        const ids = only ? [only] : calibrator.routeIds();
        return {
          body: {
            routes: ids.map((id) => {
              const route = core.routes.current.byId(id);
              return calibrator.report(id, route ? settings.get(route).compare.paths : undefined);
            }),
          },
        };
      },
    },
  ];

  const statusSections: StatusSection[] = [
    () => ({
      judge: {
        replica: replicaId,
        intervalMs: config.JUDGE_INTERVAL_MS,
        windowMs: config.JUDGE_WINDOW_MS,
        state: store.health(),
        routes: controller.status().map((s) => ({
          route: s.routeId,
          verdict: s.verdict,
          judgedAt: s.judgedAt === null ? null : new Date(s.judgedAt).toISOString(),
          consecutiveFailures: s.consecutiveFailures,
          failuresToRollback: s.failuresToRollback,
          evidence: s.judgement ? { pairs: s.judgement.pairs, reasons: s.judgement.reasons, criteria: s.judgement.criteria, window: s.judgement.description } : null,
          rollback: s.rollback ? { state: s.rollback.state, at: new Date(s.rollback.at).toISOString(), by: s.rollback.by, reason: s.rollback.reason } : null,
          candidateAllowed: gate.isAllowed(s.routeId),
        })),
      },
      shadow: {
        mirrorsInFlight: mirror.inFlight,
        mirrorBudget: mirror.capacity,
        timeoutMs: config.SHADOW_TIMEOUT_MS,
        worker: { running: mirror.running, restarts: mirror.restarts },
        recorder: pool === null ? { configured: false } : { configured: true, schemaReady, queued: mirror.queued },
      },
    }),
  ];

  return {
    subsystem: { replicaId, store, controller, windows, calibrator, pool, mirror, metrics, settings, schemaReady: () => schemaReady },
    hooks: { gate, tap, adminRoutes, statusSections },
  };
}
