/**
 * A proxy between two real test upstreams (legacy and candidate), with a route table written to a
 * temp file and flags served from an in-memory Unleash repository the test can change.
 *
 *   const h = await startHarness({ flags: features({ 'migrate.predict.live': 100 }) });
 *   await http(`${h.proxy.url}/api/v1/ml/predict`, { body: {...} });   // served by h.candidate
 *   await h.close();
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger, type Env, type Logger } from '@smp/platform';
import type { ClientFeaturesResponse } from 'unleash-client';
import { MemoryRepository, parseConfig, start, type ProxyDeps, type ProxyHooks } from '../../src/index.js';
import type { RunningProxy } from '../../src/index.js';
import { startTestUpstream, type TestUpstream } from './test-upstream.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** Routes over the harness upstreams: `predict` (idempotent), `write` (not), `models` (prefix). */
export function testRoutes(candidateHeadersMs = 300): object {
  return {
    routes: [
      { id: 'predict', match: { method: 'POST', path: '/api/v1/ml/predict' }, legacy: 'legacy', candidate: 'prediction', idempotent: true, timeouts: { candidateHeadersMs } },
      { id: 'write', match: { method: 'POST', path: '/write' }, legacy: 'legacy', candidate: 'prediction', idempotent: false, timeouts: { candidateHeadersMs } },
      { id: 'models', match: { method: 'GET', prefix: '/api/v1/ml/models' }, legacy: 'legacy', candidate: 'prediction', idempotent: true, timeouts: { candidateHeadersMs } },
    ],
  };
}

export interface HarnessOptions {
  routes?: object;
  flags?: ClientFeaturesResponse;
  env?: Env;
  /** Seams to plug; by default none (a no-op `extend`), so these tests see the core proxy alone. */
  hooks?: ProxyHooks & { extend?: ProxyDeps['extend'] };
  now?: () => number;
  logger?: Logger;
  /** Read flags from UNLEASH_URL / UNLEASH_BOOTSTRAP in `env` instead of the in-memory repository. */
  realFlags?: boolean;
}

export interface Harness {
  proxy: RunningProxy;
  legacy: TestUpstream;
  candidate: TestUpstream;
  repo: MemoryRepository;
  routesFile: string;
  adminHeaders: Record<string, string>;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const legacy = await startTestUpstream('legacy');
  const candidate = await startTestUpstream('candidate');
  const dir = await mkdtemp(path.join(tmpdir(), 'proxy-test-'));
  const routesFile = path.join(dir, 'routes.json');
  await writeFile(routesFile, JSON.stringify(options.routes ?? testRoutes()));
  const repo = new MemoryRepository(options.flags ?? { version: 2, features: [] });
  const config = parseConfig({
    LOG_LEVEL: 'error',
    LEGACY_URL: legacy.url,
    PREDICTION_URL: candidate.url,
    ANOMALY_URL: candidate.url,
    PROXY_ROUTES: routesFile,
    ADMIN_TOKEN,
    PROXY_ROUTES_WATCH: 'false',
    BREAKER_FAILURE_THRESHOLD: '1000',
    ...(options.env ?? {}),
  });
  const proxy = await start({
    config,
    port: 0,
    adminPort: 0,
    logger: options.logger ?? silentLogger('proxy'),
    ...(options.realFlags ? {} : { flagRepository: repo }),
    ...(options.now ? { now: options.now } : {}),
    extend: () => ({}),
    ...(options.hooks ?? {}),
  });
  return {
    proxy,
    legacy,
    candidate,
    repo,
    routesFile,
    adminHeaders: { authorization: `Bearer ${ADMIN_TOKEN}` },
    async close() {
      await proxy.close();
      await Promise.all([legacy.close(), candidate.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
