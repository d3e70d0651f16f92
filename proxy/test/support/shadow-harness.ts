/**
 * A real proxy with the experiment (shadow, compare, judge, rollback), between two ML twins (legacy and candidate), flags from
 * an in-memory Unleash repository, and (optionally) real PostgreSQL and Redis:
 *
 *   const h = await startShadowHarness({ candidate: { delayMs: 9 }, flags: { live: 0, shadow: 100 } });
 *   await h.predict(200);                    // 200 client requests, 8 at a time
 *   await h.pairs(200);                      // until the 200 pairs reached the judge's window
 *   await h.tick();                          // one judge step over this batch, then the clock moves a window on
 *   await h.close();
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger, type Env } from '@smp/platform';
import { eventually, http, type HttpResult } from '@smp/platform/testkit';
import { MemoryRepository, parseConfig, start, type RunningProxy } from '../../src/index.js';
import { Worker } from 'node:worker_threads';
import { createExperiment, type Experiment, type ExperimentParts } from '../../src/experiment.js';
import type { TickDecision } from '../../src/analysis/rollback-controller.js';
import { features } from './flag-features.js';
import { featuresFor, startMlTwin, type MlTwin, type TwinOptions } from './ml-twin.js';

export const SHADOW_ADMIN_TOKEN = 'shadow-admin-token-0123456789';
export const ROUTE = 'ml-predict';

export function shadowRoutes(extra: { judge?: object; compare?: object; shadow?: object } = {}): object {
  return {
    routes: [
      {
        id: ROUTE,
        match: { method: 'POST', path: '/api/v1/ml/predict' },
        legacy: 'legacy',
        candidate: 'prediction',
        idempotent: true,
        timeouts: { candidateHeadersMs: 2000 },
        ...extra,
      },
      { id: 'ml-write', match: { method: 'POST', path: '/write' }, legacy: 'legacy', candidate: 'prediction', idempotent: false, shadow: { allowWithIdempotencyKey: true } },
    ],
  };
}

export interface ShadowHarnessOptions {
  legacy?: TwinOptions;
  candidate?: TwinOptions;
  /** Rollout % of migrate.ml-predict.live / .shadow (and the same for ml-write). */
  flags?: { live: number; shadow: number };
  env?: Env;
  routes?: object;
  /** Share these instead of starting new twins (replica tests). */
  twins?: { legacy: MlTwin; candidate: MlTwin };
  replicaId?: string;
  /** Drive the judge by hand (default true). */
  manualTicks?: boolean;
  /** Wait before a dead shadow worker is restarted (default 1 s). */
  workerRestartMs?: number;
  /** Start the fake clock here (ms). */
  clockStart?: number;
  /** Take flags from this real Unleash server (polled every 200 ms) instead of an in-memory repository. */
  unleash?: { apiUrl: string; clientToken: string; adminToken: string };
}

export interface ShadowHarness {
  proxy: RunningProxy;
  experiment: Experiment;
  sub: ExperimentParts;
  /** Every shadow worker thread started, in order (the last one runs). */
  workers: Worker[];
  legacy: MlTwin;
  candidate: MlTwin;
  repo: MemoryRepository;
  admin: Record<string, string>;
  clock: { now: number };
  setFlags(live: number, shadow: number, enabled?: boolean): void;
  /** `n` client requests, `concurrency` at a time; resolves to every response's status, served-by and latency. */
  predict(n: number, concurrency?: number, offset?: number): Promise<Array<{ status: number; servedBy: string; ms: number }>>;
  /** Wait until the route's window has received `total` pairs since start. */
  pairs(total: number, timeoutMs?: number): Promise<void>;
  /** Advance the fake clock by one judge window and run one controller tick. */
  tick(): Promise<TickDecision>;
  adminGet(pathAndQuery: string): Promise<HttpResult>;
  adminPost(pathAndQuery: string, body?: object): Promise<HttpResult>;
  close(): Promise<void>;
}

export function flagDoc(live: number, shadow: number, enabled = true) {
  const doc = features({
    [`migrate.${ROUTE}.live`]: { rollout: live, enabled },
    [`migrate.${ROUTE}.shadow`]: { rollout: shadow, enabled },
    'migrate.ml-write.live': { rollout: 0 },
    'migrate.ml-write.shadow': { rollout: shadow },
  });
  return doc;
}

export async function startShadowHarness(options: ShadowHarnessOptions = {}): Promise<ShadowHarness> {
  const ownTwins = options.twins === undefined;
  const legacy = options.twins?.legacy ?? (await startMlTwin('legacy', options.legacy ?? { delayMs: 2 }));
  const candidate = options.twins?.candidate ?? (await startMlTwin('candidate', options.candidate ?? { delayMs: 2 }));
  const dir = await mkdtemp(path.join(tmpdir(), 'shadow-test-'));
  const routesFile = path.join(dir, 'routes.json');
  await writeFile(routesFile, JSON.stringify(options.routes ?? shadowRoutes()));
  const flags = options.flags ?? { live: 0, shadow: 100 };
  const repo = new MemoryRepository(flagDoc(flags.live, flags.shadow));
  const windowMs = 1_000;
  const config = parseConfig({
    LOG_LEVEL: 'error',
    LEGACY_URL: legacy.url,
    PREDICTION_URL: candidate.url,
    ANOMALY_URL: candidate.url,
    PROXY_ROUTES: routesFile,
    PROXY_ROUTES_WATCH: 'false',
    ADMIN_TOKEN: SHADOW_ADMIN_TOKEN,
    BREAKER_FAILURE_THRESHOLD: '100000',
    JUDGE_WINDOW_MS: String(windowMs),
    JUDGE_INTERVAL_MS: String(windowMs),
    JUDGE_MIN_PAIRS: '30',
    JUDGE_FAILURES_TO_ROLLBACK: '3',
    SHADOW_TIMEOUT_MS: '1000',
    RECORDER_FLUSH_MS: '50',
    ...(options.unleash
      ? { UNLEASH_URL: options.unleash.apiUrl, UNLEASH_API_TOKEN: options.unleash.clientToken, UNLEASH_ADMIN_TOKEN: options.unleash.adminToken, UNLEASH_REFRESH_MS: '200' }
      : {}),
    ...(options.env ?? {}),
  });
  const clock = { now: options.clockStart ?? 1_700_000_000_000 };
  const workers: Worker[] = [];
  const experiment = createExperiment({
    now: () => clock.now,
    manualTicks: options.manualTicks ?? true,
    manualRolloutTurns: true,
    replicaId: options.replicaId ?? 'replica-test',
    worker: {
      ...(options.workerRestartMs !== undefined ? { restartMs: options.workerRestartMs } : {}),
      create: (url, workerOptions) => {
        const worker = new Worker(url, workerOptions);
        workers.push(worker);
        return worker;
      },
    },
  });
  const proxy = await start({ config, port: 0, adminPort: 0, logger: silentLogger('proxy'), ...(options.unleash ? {} : { flagRepository: repo }), extend: experiment.extend });
  const sub = experiment.parts;
  const admin = { authorization: `Bearer ${SHADOW_ADMIN_TOKEN}` };

  const harness: ShadowHarness = {
    proxy,
    experiment,
    sub,
    workers,
    legacy,
    candidate,
    repo,
    admin,
    clock,
    setFlags(live, shadowPct, enabled = true) {
      repo.setFeatures(flagDoc(live, shadowPct, enabled));
    },
    async predict(n, concurrency = 8, offset = 0) {
      const results: Array<{ status: number; servedBy: string; ms: number }> = new Array(n);
      let next = 0;
      const worker = async () => {
        while (next < n) {
          const i = next++;
          const t0 = process.hrtime.bigint();
          const res = await http(`${proxy.url}/api/v1/ml/predict`, {
            body: { model_name: 'ai4i_classifier', features: featuresFor(i + offset) },
            headers: { 'x-api-key': `client-${(i + offset) % 97}` },
          });
          results[i] = { status: res.status, servedBy: String(res.headers['x-served-by'] ?? ''), ms: Number(process.hrtime.bigint() - t0) / 1e6 };
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      return results;
    },
    async pairs(total, timeoutMs = 10_000) {
      await eventually(() => {
        const got = sub.windows.added(ROUTE);
        if (got < total) throw new Error(`${got} of ${total} pairs reached the judge`);
      }, timeoutMs);
    },
    async tick() {
      // Pairs of this batch were stamped `clock.now`; judge just after it, then move to the next window.
      clock.now += 1;
      const decisions = await sub.controller.tick();
      clock.now += windowMs - 1;
      const mine = decisions.find((d) => d.routeId === ROUTE);
      if (!mine) throw new Error('no decision for the route');
      return mine;
    },
    adminGet: (p) => http(`${proxy.adminUrl}${p}`, { headers: admin }),
    adminPost: (p, body) => http(`${proxy.adminUrl}${p}`, { method: 'POST', headers: admin, body: body ?? {} }),
    async close() {
      await proxy.close();
      if (ownTwins) await Promise.all([legacy.close(), candidate.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** The value of one labelled series on the admin /metrics (0 when absent). */
export async function metric(h: ShadowHarness, name: string, labels: Record<string, string>): Promise<number> {
  const res = await h.adminGet('/metrics');
  const line = res.text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** p-quantile of a list of numbers (sorted copy, nearest rank). */
export function percentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
