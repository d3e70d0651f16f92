import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createTestDatabase, eventually, type TestDatabase } from '@smp/platform/testkit';
import { metric, ROUTE, startShadowHarness, type ShadowHarness } from './support/shadow-harness.js';

/** Nice value of one thread of this process (field 19 of /proc/self/task/<tid>/stat). */
function threadNice(tid: string): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  // The command name may hold spaces: fields are counted after its closing parenthesis.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

function threadNices(): number[] {
  return readdirSync('/proc/self/task').map(threadNice);
}

describe('the shadow worker thread (mirrors, comparison and recording off the serving event loop)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let h: ShadowHarness | null = null;

  before(async function () {
    db = await createTestDatabase('proxy_shadow_worker');
  });
  afterEach(async function () {
    await h?.close();
    h = null;
  });
  after(async function () {
    await db.drop();
  });

  it('a worker that dies is restarted: clients are never failed, its budget is freed, mirroring and recording resume', async function () {
    h = await startShadowHarness({ env: { DATABASE_URL: db.url, SHADOW_TIMEOUT_MS: '5000' }, legacy: { delayMs: 1 }, candidate: { delayMs: 200 } });
    const link = h.sub.mirror;
    // Mirrors in flight (the candidate answers in 200 ms) when the worker is killed.
    const during = h.predict(40, 8);
    await eventually(() => assert.ok(link.inFlight > 0, 'mirrors in flight'));
    await h.workers.at(-1)!.terminate();
    const served = await during;
    assert.ok(
      served.every((r) => r.status === 200 && r.servedBy === 'legacy'),
      'every client got the legacy answer',
    );
    await eventually(() => assert.equal(link.restarts, 1));
    await eventually(() => assert.equal(link.running, true), 5_000);
    assert.equal(h.workers.length, 2, 'a second worker thread was started');
    assert.equal(link.inFlight, 0, 'the dead worker’s slots were written off');
    assert.equal((await h.adminGet('/status')).json.shadow.worker.restarts, 1);

    const before = h.sub.controller.observed(ROUTE);
    await h.predict(20, 4, 100);
    await eventually(() => assert.ok(h!.sub.controller.observed(ROUTE) >= before + 20, 'pairs reach the judge again'));
    await link.flushRecords();
    const { rows } = await h.sub.comparisons!.db.query<{ n: number }>('SELECT count(*)::int AS n FROM proxy_comparisons WHERE route = $1', [ROUTE]);
    assert.ok(rows[0].n >= 20, `records written after the restart: ${rows[0].n}`);
  });

  it('while no worker runs, requests are served and not mirrored (counted as worker-down)', async function () {
    h = await startShadowHarness({ env: { SHADOW_MAX_IN_FLIGHT: '64' }, workerRestartMs: 60_000 });
    await h.workers.at(-1)!.terminate();
    await eventually(() => assert.equal(h!.sub.mirror.running, false));
    const res = await h.predict(10, 2);
    assert.ok(res.every((r) => r.status === 200));
    assert.equal(await metric(h, 'proxy_shadow_skipped_total', { route: ROUTE, reason: 'worker-down' }), 10);
  });

  it('a slot taken just before the worker died is given back when the mirror cannot start', async function () {
    h = await startShadowHarness({ env: { SHADOW_MAX_IN_FLIGHT: '4' }, workerRestartMs: 60_000 });
    const link = h.sub.mirror;
    assert.equal(link.tryAcquire(), true);
    await h.workers.at(-1)!.terminate();
    await eventually(() => assert.equal(link.running, false));
    assert.equal(link.inFlight, 1, 'the reserved slot survives the exit');
    link.start(ROUTE, 'candidate', { origin: 'http://127.0.0.1:1', path: '/', method: 'GET', headers: [], body: null }, null);
    assert.equal(link.inFlight, 0);
  });

  it('runs at the configured niceness (SHADOW_WORKER_NICE), the serving thread unchanged', async function () {
    if (process.platform !== 'linux') this.skip();
    const before = threadNices().filter((n) => n === 7).length;
    h = await startShadowHarness({ env: { SHADOW_WORKER_NICE: '7' } });
    assert.equal(threadNices().filter((n) => n === 7).length, before + 1, 'one thread (the worker) at nice 7');
    assert.equal(threadNice(String(process.pid)), 0, 'the main thread keeps its priority');
  });

  it('the first SHADOW_LATENCY_WARMUP_PAIRS pairs reach the judge without latencies; comparisons and records keep them', async function () {
    h = await startShadowHarness({ env: { DATABASE_URL: db.url, SHADOW_LATENCY_WARMUP_PAIRS: '25' } });
    const timed = async () =>
      (await h!.sub.comparisons!.db.query<{ n: number }>('SELECT count(*)::int AS n FROM proxy_comparisons WHERE legacy_latency_ms > 0 AND candidate_latency_ms > 0')).rows[0].n;
    const before = await timed();
    await h.predict(60, 4, 2_000);
    await h.pairs(60);
    const criteria = h.sub.controller.status()[0].decision!.criteria;
    const observations = (name: string) => criteria.find((c) => c.criterion === name)!.observations;
    assert.equal(h.sub.controller.status()[0].decision!.pairs, 60);
    // Pairs timed through a stall of the worker also lose their latencies (event-loop-lag.ts): at most 35 remain.
    const latencyPairs = observations('latency');
    assert.ok(latencyPairs <= 60 - 25 && latencyPairs > 0, `the warm-up pairs carry no latencies: ${latencyPairs} latency pairs`);
    assert.equal(observations('mismatch-rate'), 60, 'the warm-up pairs are compared as usual');
    await h.sub.mirror.flushRecords();
    assert.equal((await timed()) - before, 60, 'the records keep both latencies');
  });

  it('close() writes what the worker had queued before the proxy stops', async function () {
    h = await startShadowHarness({ env: { DATABASE_URL: db.url, RECORDER_FLUSH_MS: '600000', RECORDER_BATCH_SIZE: '100000' } });
    const pool = h.sub.comparisons!.db;
    const { rows: r0 } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM proxy_comparisons');
    await h.predict(30, 4, 1_000);
    await h.pairs(30);
    const check = (await import('pg')).default;
    const client = new check.Client({ connectionString: db.url });
    await client.connect();
    try {
      await h.close();
      h = null;
      const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM proxy_comparisons');
      assert.equal(rows[0].n - r0[0].n, 30);
    } finally {
      await client.end();
    }
  });
});
