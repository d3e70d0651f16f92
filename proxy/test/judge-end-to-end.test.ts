/**
 * The sequential judge end to end: a real proxy PROCESS (node proxy/dist/src/main.js) with real
 * PostgreSQL and Redis, ML twins on 127.0.0.1 as legacy and candidate, flags from an
 * UNLEASH_BOOTSTRAP file, a webhook receiver, and a keep-alive load generator.
 *
 *   flip   100% shadow, candidate healthy for HEALTHY pairs then flipping 10% of labels: no
 *          mirrored request reaches it later than 1 s after its first flipped answer
 *   A/A    identical twins for AA requests: never rolled back, no mismatch counted
 *   A/A saturated  the same with a CPU burner per core: never rolled back (timing-quality.ts)
 *   live   50% live, the candidate turning 2× slower: rolled back; every client answered
 *
 * `npm test` runs them scaled down (HEALTHY 1,000, AA 2,000); JUDGE_E2E_FULL=1 (npm run
 * test:judge-e2e) runs the sizes (HEALTHY 20,000 at ≥ 500 req/s, AA 100,000).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { createTestDatabase, createTestRedis, eventually, type TestDatabase, type TestRedis } from '@smp/platform/testkit';
import pg from 'pg';
import { Redis } from 'ioredis';
import { startMlTwin, type MlTwin } from './support/ml-twin.js';
import { load, PROCESS_ADMIN_TOKEN as TOKEN, startProxyProcess, type ProxyProcess } from './support/proxy-process.js';
import { flagDoc, ROUTE, shadowRoutes } from './support/shadow-harness.js';
import { startWebhook } from './support/webhook-receiver.js';

const FULL = process.env.JUDGE_E2E_FULL === '1';
const HEALTHY = FULL ? 20_000 : 1_000;
const AA = FULL ? 100_000 : 2_000;
const AA_SATURATED = FULL ? 50_000 : 6_000;

/** What `GET /status` shows of one criterion and of one route (analysis/judge-admin.ts). */
interface EvidenceJson {
  criterion: string;
  status: string;
  pairsSeen: number;
  observations: number;
  events: number;
  onsetPair: number | null;
  examples: string[];
}
interface RouteStatusJson {
  route: string;
  status: string;
  pairs: number;
  reason: string;
  evidence: EvidenceJson[];
  lastRollback: { at: string; reason: string; evidence: EvidenceJson } | null;
  rollback: { state: string } | null;
  unscoredPairs: Record<string, number>;
}

async function routeStatus(p: ProxyProcess): Promise<RouteStatusJson> {
  const res = await request(`${p.adminUrl}/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const body = (await res.body.json()) as { judge: { routes: RouteStatusJson[] } };
  return body.judge.routes.find((r) => r.route === ROUTE)!;
}

async function metricValue(p: ProxyProcess, name: string, labels: Record<string, string>): Promise<number> {
  const res = await request(`${p.adminUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await res.body.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe(`sequential judge end to end: real proxy process, PostgreSQL, Redis (${FULL ? 'full size' : 'scaled down; JUDGE_E2E_FULL=1 for the full run'})`, function () {
  this.timeout(FULL ? 1_200_000 : 120_000);
  let db: TestDatabase;
  let redis: TestRedis;
  let hook: Awaited<ReturnType<typeof startWebhook>>;
  let dir: string;
  let legacy: MlTwin | null = null;
  let candidate: MlTwin | null = null;
  let proxy: ProxyProcess | null = null;

  before(async function () {
    db = await createTestDatabase('proxy_e2e');
    hook = await startWebhook();
    dir = await mkdtemp(path.join(tmpdir(), 'judge-e2e-'));
    await writeFile(path.join(dir, 'routes.json'), JSON.stringify(shadowRoutes()));
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && proxy) console.log(proxy.output().slice(-4_000));
    await proxy?.close();
    await Promise.all([legacy?.close(), candidate?.close()]);
    proxy = legacy = candidate = null;
    hook.received.length = 0;
    await redis.cleanup();
  });
  after(async function () {
    await hook?.close();
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(flags: { live: number; shadow: number }, twins: { legacyDelayMs: number; candidateDelayMs: number; flipAfter?: number }) {
    // A key prefix of its own: a rollback of one test is not the next one's state.
    redis = createTestRedis();
    legacy = await startMlTwin('legacy', { delayMs: twins.legacyDelayMs });
    candidate = await startMlTwin('candidate', { delayMs: twins.candidateDelayMs, ...(twins.flipAfter !== undefined ? { flipRate: 0.1, flipAfter: twins.flipAfter, seed: 12 } : {}) });
    const flagsFile = path.join(dir, `flags-${Date.now()}.json`);
    await writeFile(flagsFile, JSON.stringify(flagDoc(flags.live, flags.shadow)));
    proxy = await startProxyProcess({
      LEGACY_URL: legacy.url,
      PREDICTION_URL: candidate.url,
      ANOMALY_URL: candidate.url,
      PROXY_ROUTES: path.join(dir, 'routes.json'),
      PROXY_ROUTES_WATCH: 'false',
      UNLEASH_BOOTSTRAP: flagsFile,
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      ROLLBACK_WEBHOOK_URL: hook.url,
      BREAKER_FAILURE_THRESHOLD: '100000',
    });
    return { proxy, legacy, candidate };
  }

  it(`100% shadow, candidate healthy for ${HEALTHY.toLocaleString('en')} pairs then flipping 10% of labels: no mirrored request later than 1 s after the first flip`, async function () {
    const { proxy: p, candidate: c } = await start({ live: 0, shadow: 100 }, { legacyDelayMs: 1, candidateDelayMs: 1, flipAfter: HEALTHY });
    // Keep the load on for 2 s after the first flip, so a late mirror would be seen.
    const result = await load(p.url, HEALTHY * 2 + 50_000, 32, () => c.firstFlipAt !== null && Date.now() - c.firstFlipAt > 2_000);
    const rate = result.sent / result.seconds;
    assert.ok(c.firstFlipAt !== null, `the candidate never flipped (saw ${c.seen})`);
    const lastAfterFlip = c.lastSeenAt - c.firstFlipAt;
    const status = await routeStatus(p);
    const failed = status.lastRollback?.evidence;
    console.log(
      `      ${result.sent} requests at ${rate.toFixed(0)} req/s; the candidate got ${c.seen - HEALTHY} mirrored requests after it began flipping, the last ${lastAfterFlip} ms after its first flipped answer; ` +
        `rolled back on ${failed?.criterion} (onset estimate pair ${failed?.onsetPair}, ${failed?.events} mismatches)`,
    );
    assert.equal(result.statuses.get(200), result.sent, `every client answered 200: ${JSON.stringify([...result.statuses])}`);
    assert.equal(status.rollback?.state, 'rolled-back', JSON.stringify(status));
    assert.equal(failed?.criterion, 'mismatch-rate');
    assert.ok(lastAfterFlip <= 1_000, `a mirrored request reached the candidate ${lastAfterFlip} ms after its first flipped answer`);
    if (FULL) assert.ok(rate >= 500, `load was ${rate.toFixed(0)} req/s, the issue asks ≥ 500`);

    // The evidence is stored (PostgreSQL), shared (Redis) and sent (webhook).
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await eventually(async () => {
        const { rows } = await client.query<{ evidence: { failed: { criterion: string; examples: string[] } } }>("SELECT evidence FROM proxy_rollback_events WHERE route = $1 AND kind = 'rollback'", [ROUTE]);
        assert.equal(rows.length, 1);
        assert.equal(rows[0].evidence.failed.criterion, 'mismatch-rate');
        assert.ok(rows[0].evidence.failed.examples.length > 0);
      }, 5_000);
    } finally {
      await client.end();
    }
    const r = new Redis(redis.url, { lazyConnect: true });
    await r.connect();
    try {
      const keys = await r.keys(`${redis.prefix}*`);
      const values = await Promise.all(keys.map(async (k) => ((await r.type(k)) === 'hash' ? JSON.stringify(await r.hgetall(k)) : String(await r.get(k)))));
      assert.ok(values.some((v) => v.includes('rolled-back') && v.includes(ROUTE)), `Redis holds the rollback: ${values.join(' | ')}`);
    } finally {
      r.disconnect();
    }
    await eventually(() => assert.equal(hook.received.length, 1), 5_000);
    assert.equal((hook.received[0].evidence as { failed: { criterion: string } }).failed.criterion, 'mismatch-rate');
  });

  it(`A/A for ${AA.toLocaleString('en')} requests (both twins 10 ms): never rolled back, no mismatch counted`, async function () {
    // 10 ms upstreams: at 1 ms the machine's own hiccups (this process runs the twins and the load)
    // are several times an upstream's time and the latency criterion would be judging them.
    const { proxy: p } = await start({ live: 0, shadow: 100 }, { legacyDelayMs: 10, candidateDelayMs: 10 });
    const result = await load(p.url, AA, 32);
    await eventually(async () => assert.ok((await routeStatus(p)).pairs >= AA * 0.99, 'pairs reach the judge'), 10_000);
    const status = await routeStatus(p);
    const mismatches = await metricValue(p, 'proxy_comparisons_total', { route: ROUTE, outcome: 'mismatch' });
    console.log(`      ${result.sent} requests at ${(result.sent / result.seconds).toFixed(0)} req/s; judge ${status.status} after ${status.pairs} pairs; mismatches ${mismatches}`);
    assert.equal(result.statuses.get(200), AA);
    assert.equal(status.rollback, null, JSON.stringify(status));
    assert.equal(status.status, 'pass', status.reason);
    assert.equal(mismatches, 0);
    assert.equal(status.evidence.find((e) => e.criterion === 'mismatch-rate')?.events, 0);
  });

  it(`A/A with the machine saturated (a CPU burner per core, 1 ms twins, 64 connections, ${AA_SATURATED.toLocaleString('en')} requests): never rolled back; pairs timed through our own lag counted unscored`, async function () {
    // Before timing-quality.ts the shadow bench's saturated A/A run was rolled back on latency:
    // the starved threads and upstreams read the candidate > 1.5× slow in runs of hundreds.
    const { proxy: p } = await start({ live: 0, shadow: 100 }, { legacyDelayMs: 1, candidateDelayMs: 1 });
    const burners = Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    let result: Awaited<ReturnType<typeof load>>;
    try {
      result = await load(p.url, AA_SATURATED, 64);
    } finally {
      for (const b of burners) b.kill('SIGKILL');
    }
    await eventually(async () => assert.ok((await routeStatus(p)).pairs >= AA_SATURATED * 0.9, 'pairs reach the judge'), 10_000);
    // The last pairs may still be on their way: read until /status and the metric agree.
    const { status, unscored } = await eventually(async () => {
      const unscored = Object.fromEntries(await Promise.all(['lag', 'saturated', 'warmup', 'timeout'].map(async (reason) => [reason, await metricValue(p, 'proxy_judge_unscored_pairs_total', { route: ROUTE, reason })]))) as Record<string, number>;
      const status = await routeStatus(p);
      assert.deepEqual(
        status.unscoredPairs,
        Object.fromEntries(Object.entries(unscored).filter(([, n]) => n > 0)),
        '/status shows the same counts as the metric',
      );
      return { status, unscored };
    }, 10_000);
    const latency = status.evidence.find((e) => e.criterion === 'latency');
    console.log(
      `      ${result.sent} requests at ${(result.sent / result.seconds).toFixed(0)} req/s; judge ${status.status} after ${status.pairs} pairs; ` +
        `latency observations ${latency?.observations}; unscored ${JSON.stringify(unscored)}`,
    );
    assert.equal(result.statuses.get(200), AA_SATURATED);
    assert.equal(status.rollback, null, JSON.stringify(status));
    assert.notEqual(status.status, 'fail', status.reason);
    assert.ok(unscored.lag + unscored.saturated > 0, 'the saturation was seen: some pairs were timed through our own lag');
  });

  it('live 50% (legacy mirrored while the candidate serves) with a candidate turning 2× slower (20 -> 40 ms): rolled back on latency; every client answered', async function () {
    const { proxy: p, candidate: c } = await start({ live: 50, shadow: 100 }, { legacyDelayMs: 20, candidateDelayMs: 20 });
    const before = await load(p.url, FULL ? 5_000 : 800, 16);
    assert.equal((await routeStatus(p)).rollback, null, 'no rollback while the candidate is as fast as legacy');
    c.options.delayMs = 40;
    // Poll the judge; keep the load on for 1 s after the rollback so clients are seen answered by legacy.
    let rolledBackAt = 0;
    const poll = setInterval(() => {
      void routeStatus(p)
        .then((s) => {
          if (s.rollback?.state === 'rolled-back' && rolledBackAt === 0) rolledBackAt = Date.now();
        })
        .catch(() => undefined);
    }, 100);
    const after = await load(p.url, 20_000, 16, () => rolledBackAt > 0 && Date.now() - rolledBackAt > 1_000).finally(() => clearInterval(poll));
    const status = await routeStatus(p);
    const failed = status.lastRollback?.evidence;
    console.log(
      `      before: ${before.sent} requests (${before.servedBy.get('candidate') ?? 0} served by the candidate); after the slowdown: rolled back on ${failed?.criterion} ` +
        `after ${failed?.observations} latency pairs (onset estimate pair ${failed?.onsetPair}); then ${after.servedBy.get('legacy') ?? 0} of ${after.sent} served by legacy`,
    );
    assert.equal(before.statuses.get(200), before.sent);
    assert.equal(after.statuses.get(200), after.sent, 'every client still answered');
    assert.equal(status.rollback?.state, 'rolled-back');
    assert.equal(failed?.criterion, 'latency');
  });
});
