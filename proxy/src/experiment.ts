/**
 * The experiment's composition root, beside app.ts (the serving side's): shadow → compare → judge →
 * rollback → report, plugged into the proxy through its seams (`extend(core)` of createApp): a
 * CandidateGate, an ExchangeTap, admin routes and status sections. Each part lives with what it
 * does; this file only builds them from the config and connects them.
 *
 *   const experiment = createExperiment();
 *   const proxy = await start({ config, extend: experiment.extend });
 *   experiment.parts.controller.status()      // each route's sequential judge and its evidence
 *
 *   gate      state/       RollbackStore (Redis pub/sub when REDIS_URL is set, in-process otherwise)
 *   tap       shadow/      ShadowTap (decide, copy) -> ShadowLink (the budget, batches) ─┐ worker-protocol.ts
 *   worker    shadow-worker/  MirrorClient -> pairResult (compare; sample; record) -> ComparisonRecorder
 *   events    here         pair -> metrics + the route's SequentialJudge; noise -> NoiseCalibrator
 *   judge     analysis/    RollbackController: a failing pair -> store + rollback actions
 *   report    report/      ComparisonStore (schema, retention), GET /comparisons*, GET /report (HTML), route events
 *   admin     analysis/    POST /routes/:id/resume, the `judge` status section; `shadow` status here
 *   rollout   rollout/     RolloutDriver every ROLLOUT_INTERVAL_MS on the lease holder: plans -> Unleash, audit
 */
import { EventLoopLag } from './event-loop-lag.js';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Closer, Logger } from '@smp/platform';
import type { ProxyCore, ProxyHooks } from './app.js';
import type { StatusSection } from './admin/admin-route.js';
import type { Config } from './config.js';
import { judgeStatusSection, resumeRoute } from './analysis/judge-admin.js';
import { rollbackActions } from './analysis/rollback-actions.js';
import { RollbackController, type RouteAnalysis, type RouteJudging } from './analysis/rollback-controller.js';
import { NoiseCalibrator } from './compare/noise-calibrator.js';
import { NoiseSnapshots } from './report/noise-snapshots.js';
import { comparisonRoutes } from './report/comparison-routes.js';
import { ComparisonStore } from './report/comparison-store.js';
import { reportWiring, type LooseRouteStatus } from './report/report-routes.js';
import type { JudgeSettings } from './analysis/judge-settings.js';
import { DEFAULT_JUDGE_SETTINGS } from './analysis/judge-settings.js';
import type { Route, RouteTable } from './routing/route-table.js';
import { judgeSettings } from './routing/route-settings.js';
import { ShadowLink, type WorkerFactory } from './shadow/shadow-link.js';
import { ShadowMetrics } from './shadow/shadow-metrics.js';
import { ShadowTap } from './shadow/shadow-tap.js';
import type { FromWorker } from './shadow/worker-protocol.js';
import { sequentialJudgeView, VariantJudges } from './rollout/judge-view.js';
import { createRollout, type RolloutParts } from './rollout/rollout-setup.js';
import { createCandidateGate } from './state/candidate-gate.js';
import { RedisRollbackStore } from './state/redis-rollback-store.js';
import { MemoryRollbackStore, type RollbackStore } from './state/rollback-store.js';

export interface ExperimentOptions {
  /** Wall clock in ms (records, rollback times); tests pass a fake one. */
  now?: () => number;
  /** Calibration sampling. */
  random?: () => number;
  /** Recorded as who decided a rollback; default `<host>:<pid>:<random>`. */
  replicaId?: string;
  /** Do not start the flag-watch timer: the caller drives `controller.watchFlags()` (tests). */
  manualTicks?: boolean;
  /** Do not start the rollout driver's timer: the caller drives `rollout.driver.tick()` (tests). */
  manualRolloutTurns?: boolean;
  /** Use this rollback store instead of building one from REDIS_URL. */
  store?: RollbackStore;
  /** The shadow worker thread: wait before restarting one that died (default 1 s), how to start one. */
  worker?: { restartMs?: number; create?: WorkerFactory };
}

/** The running parts, for tests and for whoever embeds the proxy. */
export interface ExperimentParts {
  readonly replicaId: string;
  readonly store: RollbackStore;
  readonly controller: RollbackController;
  readonly calibrator: NoiseCalibrator;
  /** The serving thread's comparison database (null without DATABASE_URL). */
  readonly comparisons: ComparisonStore | null;
  /** The shadow worker thread (mirrors, comparison, recording) and the mirror budget. */
  readonly mirror: ShadowLink;
  readonly metrics: ShadowMetrics;
  /** Rollout plans: the driver (tests call `driver.tick()`), the plan store, the lease. */
  readonly rollout: RolloutParts;
}

export interface Experiment {
  extend(core: ProxyCore): Promise<ProxyHooks>;
  /** Set once `extend` ran; throws before. */
  readonly parts: ExperimentParts;
}

export function createExperiment(options: ExperimentOptions = {}): Experiment {
  let parts: ExperimentParts | null = null;
  return {
    get parts(): ExperimentParts {
      if (parts === null) throw new Error('the experiment is not attached yet');
      return parts;
    },
    async extend(core: ProxyCore): Promise<ProxyHooks> {
      if (!core.config.SHADOW_ENABLED) return {};
      const built = await build(core, options);
      parts = built.parts;
      return built.hooks;
    },
  };
}

async function openRollbackStore(config: Config, deps: { logger: Logger; closer: Closer; now: () => number }): Promise<RollbackStore> {
  if (!config.REDIS_URL) return new MemoryRollbackStore(deps.now);
  const store = new RedisRollbackStore({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger: deps.logger, resyncMs: config.ROLLBACK_RESYNC_MS, now: deps.now });
  deps.closer.add('rollback state', () => store.close());
  await store.ready();
  return store;
}

function judgeDefaults(config: Config): JudgeSettings {
  return Object.freeze({
    ...DEFAULT_JUDGE_SETTINGS,
    maxMismatchRate: config.JUDGE_MAX_MISMATCH_RATE,
    maxErrorRateIncrease: config.JUDGE_MAX_ERROR_RATE_INCREASE,
    maxLatencyRatio: config.JUDGE_MAX_LATENCY_RATIO,
    minLatencyDifferenceMs: config.JUDGE_MIN_LATENCY_DIFFERENCE_MS,
    tailLatencyRatio: config.JUDGE_TAIL_LATENCY_RATIO,
    falseAlarmLevel: config.JUDGE_FALSE_ALARM_LEVEL,
    warmupPairs: config.JUDGE_WARMUP_PAIRS,
  });
}

/** Each judged route of a table with its settings, computed once per compiled table (reloads make new ones). */
function judgedRoutes(defaults: JudgeSettings): (table: RouteTable) => { list: readonly RouteJudging[]; byId: ReadonlyMap<string, RouteJudging> } {
  const cache = new WeakMap<RouteTable, { list: readonly RouteJudging[]; byId: ReadonlyMap<string, RouteJudging> }>();
  const judging = (r: Route): RouteJudging => Object.freeze({ routeId: r.id, settings: judgeSettings(r.judge, defaults), flags: Object.freeze([r.flags.live, r.flags.shadow]) });
  return (table) => {
    let judged = cache.get(table);
    if (judged === undefined) {
      const list = Object.freeze(table.routes.filter((r) => r.candidate !== null).map(judging));
      judged = { list, byId: new Map(list.map((r) => [r.routeId, r])) };
      cache.set(table, judged);
    }
    return judged;
  };
}

/** The judge's status as the HTML report reads it (report/report-routes.ts, `LooseRouteStatus`). */
function looseStatus(s: RouteAnalysis): LooseRouteStatus {
  const d = s.decision;
  return { routeId: s.routeId, verdict: d?.status ?? null, judgement: d ? { reasons: [d.reason], criteria: d.criteria, pairs: d.pairs } : null, rollback: s.rollback };
}

/** What comes back from the worker: metrics, the judge (every pair), the noise calibrator, log lines. */
function workerEvents(parts: { metrics: ShadowMetrics; judging: { controller: RollbackController | null; variants: VariantJudges | null }; calibrator: NoiseCalibrator; logger: Logger }): (e: FromWorker) => void {
  const { metrics, judging, calibrator, logger } = parts;
  return (e) => {
    switch (e.t) {
      case 'pair':
        if (e.mirror !== null) metrics.mirror(e.route, e.side, e.mirror);
        if (e.comparison === null) return;
        metrics.comparison(e.route, e.comparison);
        if (e.comparison.sample !== null) {
          const { variant, mode, sample, at } = e.comparison;
          // A shadow-flag variant reached the mirror only: no client gets it, so it is judged apart
          // and never rolls the route back; everything clients can get goes to the route's judge.
          if (variant === null || mode === 'live') judging.controller?.observe(e.route, sample, at);
          if (variant !== null) judging.variants?.observe(e.route, variant, sample, at);
        }
        return;
      case 'noise':
        calibrator.observe(e.route, e.diffs);
        metrics.calibrated(e.route);
        return;
      case 'written':
        metrics.written.inc(e.count);
        return;
      case 'dropped':
        metrics.dropped.inc({ reason: e.reason }, e.count);
        return;
      case 'raised':
        metrics.raised(e.operation);
        return;
      case 'log':
        logger.log(e.level, e.message, e.meta);
        return;
      default:
        return;
    }
  };
}

function shadowLink(config: Config, deps: { logger: Logger; onEvent: (e: FromWorker) => void; worker: ExperimentOptions['worker'] }): ShadowLink {
  return new ShadowLink({
    init: {
      mirror: {
        connections: config.SHADOW_CONNECTIONS,
        connectTimeoutMs: Math.min(2_000, config.SHADOW_TIMEOUT_MS),
        timeoutMs: config.SHADOW_TIMEOUT_MS,
        bodyCap: config.SHADOW_BODY_CAP_BYTES,
      },
      databaseUrl: config.DATABASE_URL ?? null,
      recorder: { maxQueue: config.RECORDER_QUEUE_MAX, batchSize: config.RECORDER_BATCH_SIZE, flushMs: config.RECORDER_FLUSH_MS },
      sampleBodyBytes: config.SHADOW_SAMPLE_BODY_BYTES,
      nice: config.SHADOW_WORKER_NICE,
      latencyWarmupPairs: config.SHADOW_LATENCY_WARMUP_PAIRS,
      tracing: config.OTEL_EXPORTER_OTLP_ENDPOINT === undefined ? null : { endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, service: config.OTEL_SERVICE_NAME ?? 'proxy' },
    },
    budget: config.SHADOW_MAX_IN_FLIGHT,
    logger: deps.logger,
    onEvent: deps.onEvent,
    ...(deps.worker?.restartMs !== undefined ? { restartMs: deps.worker.restartMs } : {}),
    ...(deps.worker?.create !== undefined ? { createWorker: deps.worker.create } : {}),
  });
}

async function build(core: ProxyCore, options: ExperimentOptions): Promise<{ parts: ExperimentParts; hooks: ProxyHooks }> {
  const { config, logger, closer, registry } = core;
  const now = options.now ?? Date.now;
  const replicaId = options.replicaId ?? `${os.hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
  const routes = () => core.routes.current;

  const store = options.store ?? (await openRollbackStore(config, { logger, closer, now }));
  const gate = createCandidateGate(store);

  const calibrator = new NoiseCalibrator();
  // The gauges read the link at scrape time (it is created just below).
  const metrics = new ShadowMetrics(registry, { inFlight: () => mirror.inFlight, queueDepth: () => mirror.queued });
  // Mirrors, comparison and recording run on the shadow worker thread, off the clients' event loop.
  // The controller needs the comparison store (its actions), which needs the worker: it is set below,
  // before the proxy serves, so every pair finds it.
  const judging: { controller: RollbackController | null; variants: VariantJudges | null } = { controller: null, variants: null };
  const mirror = shadowLink(config, { logger, onEvent: workerEvents({ metrics, judging, calibrator, logger }), worker: options.worker });
  closer.add('shadow worker', () => mirror.close());
  if (!(await mirror.ready())) logger.error('the shadow worker did not start in time; mirroring resumes when it does');

  let comparisons: ComparisonStore | null = null;
  if (config.DATABASE_URL) {
    comparisons = await ComparisonStore.open({
      databaseUrl: config.DATABASE_URL,
      logger,
      retention: { rawHours: config.COMPARISON_RETENTION_HOURS, rollupDays: config.COMPARISON_ROLLUP_RETENTION_DAYS, intervalMs: config.COMPARISON_PURGE_INTERVAL_MS },
      onSchemaReady: () => mirror.setSchemaReady(true),
    });
    const opened = comparisons;
    closer.add('comparison database', () => opened.close());
    // The calibration, for the file report (written every minute and once more on close, before the pool closes).
    const snapshots = new NoiseSnapshots({ calibrator, pool: () => opened.db, ready: () => opened.schemaReady, logger });
    snapshots.start(60_000);
    closer.add('noise calibration snapshots', () => snapshots.close());
  }

  // The serving thread's loop lag: legacy's side of a shadow pair is timed here.
  const lag = new EventLoopLag();
  closer.add('event-loop lag', () => lag.close());
  const tap = new ShadowTap({
    routes,
    gate,
    link: mirror,
    metrics,
    now,
    logger,
    requestBodyCap: config.SHADOW_BODY_CAP_BYTES,
    responseBodyCap: config.SHADOW_BODY_CAP_BYTES,
    random: options.random,
    lag,
  });

  const judged = judgedRoutes(judgeDefaults(config));
  const report = reportWiring({
    pool: () => comparisons?.db ?? null,
    ready: () => comparisons?.schemaReady ?? false,
    routes: () => routes().routes,
    flags: core.flags,
    judgeStatus: () => controller.status().map(looseStatus),
    noise: calibrator,
    replicaId,
    logger,
    closer,
    now,
  });
  const controller = new RollbackController({
    now,
    store,
    replicaId,
    route: (id) => judged(routes()).byId.get(id),
    routes: () => judged(routes()).list,
    actions: rollbackActions(config, { comparisons, logger, closer, routeEventsReady: () => rollout?.schemaReady() ?? false }),
    flagEnabled: (flag) => core.flags.definition(flag)?.enabled,
    logger,
    onStatus: (route, status) => {
      metrics.decisions.inc({ route, status });
      report.onVerdict(route, status);
    },
    onRollback: (route) => metrics.rollbacks.inc({ route }),
  });
  judging.controller = controller;
  const variants = new VariantJudges((id) => judged(routes()).byId.get(id)?.settings);
  judging.variants = variants;
  closer.add('rollback controller', () => controller.close());
  if (!options.manualTicks) controller.start(config.ROLLBACK_FLAG_WATCH_MS);

  const rollout: RolloutParts = await createRollout(config, {
    logger,
    closer,
    now,
    replicaId,
    pool: comparisons?.db ?? null,
    judge: sequentialJudgeView({ controller, store }),
    controller,
    rollbackStore: store,
    flagsOf: (routeId) => routes().routes.find((r) => r.id === routeId && r.candidate !== null)?.flags,
    declared: () => routes().routes.flatMap((r) => (r.rollout !== null && r.candidate !== null ? [{ routeId: r.id, spec: r.rollout }] : [])),
  });
  if (config.ROLLOUT_ENABLED && !options.manualRolloutTurns) rollout.driver.start(config.ROLLOUT_INTERVAL_MS);
  for (const e of store.entries()) metrics.rolledBack.set({ route: e.routeId }, e.state === 'rolled-back' ? 1 : 0);
  const stopWatching = store.onChange((entry, previous) => {
    metrics.rolledBack.set({ route: entry.routeId }, entry.state === 'rolled-back' ? 1 : 0);
    if (previous?.state !== entry.state && entry.by !== replicaId) {
      logger.warn(`route ${entry.state === 'rolled-back' ? 'rolled back' : 'resumed'} by ${entry.by}`, { route: entry.routeId, reason: entry.reason });
    }
  });
  closer.add('rollback state watch', () => stopWatching());

  const shadowStatus: StatusSection = () => ({
    shadow: {
      mirrorsInFlight: mirror.inFlight,
      mirrorBudget: mirror.capacity,
      timeoutMs: config.SHADOW_TIMEOUT_MS,
      worker: { running: mirror.running, restarts: mirror.restarts },
      recorder: comparisons === null ? { configured: false } : { configured: true, schemaReady: comparisons.schemaReady, queued: mirror.queued },
    },
  });
  return {
    parts: { replicaId, store, controller, calibrator, comparisons, mirror, metrics, rollout },
    hooks: {
      gate,
      tap,
      adminRoutes: [...report.adminRoutes, resumeRoute({ routes, store, controller }), ...comparisonRoutes({ store: comparisons, calibrator, routes, now })],
      statusSections: [
        judgeStatusSection({ routes, store, controller, gate, replicaId, unscored: (route) => metrics.unscoredOf(route) }),
        shadowStatus,
        () => ({ variants: variants.status() }),
        () => ({ rollout: { leader: rollout.driver.lastTurn.leader, plans: rollout.driver.lastTurn.plans } }),
      ],
    },
  };
}
