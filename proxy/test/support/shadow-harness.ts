/**
 * A real proxy with the experiment (shadow, compare, judge, rollback), between two ML twins (legacy and candidate), flags from
 * an in-memory Unleash repository, and (optionally) real PostgreSQL and Redis:
 *
 *   const h = await startShadowHarness({ candidate: { delayMs: 9 }, flags: { live: 0, shadow: 100 } });
 *   await h.predict(200);                    // 200 client requests, 8 at a time
 *   await h.pairs(200);                      // until the 200 pairs reached the judge
 *   await h.watch();                         // one flag-watch step (a rolled-back route's Unleash flags)
 *   await h.close();
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger, type Env } from '@smp/platform';
import { eventually, http, type HttpResult } from '@smp/platform/testkit';
import { MemoryRepository, parseConfig, start, type RunningProxy } from '../../src/index.js';
import { Worker } from 'node:worker_threads';
import { createExperiment, type Experiment, type ExperimentParts } from '../../src/experiment.js';
import type { WatchDecision } from '../../src/analysis/rollback-controller.js';
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
  /** Drive the flag watch by hand (default true). */
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
  /** Requests in batches of 50 until the route is rolled back (at most `max`); every client's result. */
  predictUntilRolledBack(max: number): Promise<Array<{ status: number; servedBy: string; ms: number }>>;
  /** Wait until the route's judge has received `total` pairs since start. */
  pairs(total: number, timeoutMs?: number): Promise<void>;
  /** One flag-watch step for the route: `held` or `resumed-by-flag` while rolled back, null otherwise. */
  watch(): Promise<WatchDecision['action'] | null>;
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
  const config = parseConfig({
    LOG_LEVEL: 'error',
    LEGACY_URL: legacy.url,
    PREDICTION_URL: candidate.url,
    ANOMALY_URL: candidate.url,
    PROXY_ROUTES: routesFile,
    PROXY_ROUTES_WATCH: 'false',
    ADMIN_TOKEN: SHADOW_ADMIN_TOKEN,
    BREAKER_FAILURE_THRESHOLD: '100000',
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
    async predictUntilRolledBack(max) {
      const results = [];
      const batch = 50;
      for (let sent = 0; sent < max && !sub.store.isRolledBack(ROUTE); sent += batch) {
        const before = sub.controller.observed(ROUTE);
        results.push(...(await harness.predict(batch, 8, sent)));
        // The batch's pairs come back from the worker before deciding whether to send more.
        await eventually(() => assert.ok(sub.store.isRolledBack(ROUTE) || sub.controller.observed(ROUTE) >= before + batch, 'pairs reach the judge'), 5_000, 5);
      }
      return results;
    },
    async pairs(total, timeoutMs = 10_000) {
      await eventually(() => {
        const got = sub.controller.observed(ROUTE);
        const rolledBack = sub.controller.status().find((s) => s.routeId === ROUTE)?.lastRollback;
        if (got < total) throw new Error(`${got} of ${total} pairs reached the judge${rolledBack ? ` (rolled back: ${rolledBack.decision.reason})` : ''}`);
      }, timeoutMs);
    },
    async watch() {
      clock.now += 1_000;
      const decisions = await sub.controller.watchFlags();
      return decisions.find((d) => d.routeId === ROUTE)?.action ?? null;
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
