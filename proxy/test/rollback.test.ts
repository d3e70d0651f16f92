import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@smp/platform';
import { createTestDatabase, eventually, http as request, type TestDatabase } from '@smp/platform/testkit';
import { DEFAULT_THRESHOLDS, type PairSample } from '../src/analysis/judge.js';
import { PairWindows } from '../src/analysis/pair-window.js';
import { RollbackController, type RollbackEvent, type RouteJudging } from '../src/analysis/rollback-controller.js';
import { MemoryRollbackStore } from '../src/state/rollback-store.js';
import { ROUTE, startShadowHarness, type ShadowHarness } from './support/shadow-harness.js';

const good: PairSample = { outcome: 'match', legacyLatencyMs: 5, candidateLatencyMs: 5, legacyError: false, candidateError: false };
const bad: PairSample = { outcome: 'mismatch', legacyLatencyMs: 5, candidateLatencyMs: 5, legacyError: false, candidateError: false };

describe('rollback controller (fake clock, step by step)', function () {
  let t: number;
  let windows: PairWindows;
  let store: MemoryRollbackStore;
  let events: RollbackEvent[];
  let flags: Map<string, boolean>;
  let controller: RollbackController;
  const route: RouteJudging = { routeId: 'r', thresholds: { ...DEFAULT_THRESHOLDS, minPairs: 20 }, failuresToRollback: 3, flags: ['migrate.r.live', 'migrate.r.shadow'] };

  beforeEach(function () {
    t = 0;
    windows = new PairWindows({ windowMs: 1_000, maxPairs: 1_000 });
    store = new MemoryRollbackStore(() => t);
    events = [];
    flags = new Map([
      ['migrate.r.live', true],
      ['migrate.r.shadow', true],
    ]);
    controller = new RollbackController({
      now: () => t,
      windows,
      store,
      replicaId: 'replica-1',
      routes: () => [route],
      actions: [
        { name: 'collect', on: ['rollback', 'resume'], run: async (e) => void events.push(e) },
        { name: 'broken', on: ['rollback'], run: async () => Promise.reject(new Error('webhook down')) },
      ],
      flagEnabled: (f) => flags.get(f),
      logger: silentLogger(),
    });
  });
  afterEach(() => controller.close());

  /** One window: `n` pairs at time t, a tick 1 ms later (the window is (t+1−1000, t+1]), then the clock moves on to t + 1 s. */
  async function window(sample: PairSample, n = 50) {
    for (let i = 0; i < n; i++) windows.add('r', sample, t);
    t += 1;
    const [d] = await controller.tick();
    t += 999;
    return d;
  }

  it('rolls back on the 3rd consecutive failing window, not before, with the evidence in the event', async function () {
    assert.deepEqual([(await window(bad)).action, (await window(bad)).action], ['judged', 'judged']);
    assert.equal(store.isRolledBack('r'), false);
    const third = await window(bad);
    assert.deepEqual([third.action, third.consecutiveFailures], ['rolled-back', 3]);
    assert.equal(store.isRolledBack('r'), true, 'the gate flips synchronously within the tick');
    await controller.settled();
    assert.equal(events.length, 1);
    assert.equal(events[0].kind, 'rollback');
    assert.equal(events[0].judgement?.verdict, 'fail');
    assert.match(events[0].reason, /3 consecutive failing windows: mismatch-rate: mismatch rate 100%/);
    assert.deepEqual(events[0].flags, ['migrate.r.live', 'migrate.r.shadow']);
    assert.equal(windows.snapshot('r', t).length, 0, 'old evidence is cleared');
  });

  it('a passing window between failures resets the count: fail, fail, pass, fail, fail does not roll back', async function () {
    for (const s of [bad, bad, good, bad, bad]) await window(s, 400);
    assert.equal(store.isRolledBack('r'), false);
    assert.equal(controller.status()[0].consecutiveFailures, 2);
  });

  it('a tick without new pairs holds the count (fail, fail, no data, fail -> rollback)', async function () {
    await window(bad);
    await window(bad);
    t += 1_000;
    const [idle] = await controller.tick();
    assert.deepEqual([idle.action, idle.consecutiveFailures], ['no-new-pairs', 2]);
    assert.equal((await window(bad)).action, 'rolled-back');
  });

  it('windows of 19 failing pairs (minPairs 20) never roll back: too few is inconclusive', async function () {
    for (let i = 0; i < 6; i++) assert.equal((await window(bad, 19)).verdict, 'inconclusive');
    assert.equal(store.isRolledBack('r'), false);
  });

  it('stays rolled back while the flags stay on; resumes when a flag goes off and then on again', async function () {
    for (let i = 0; i < 3; i++) await window(bad);
    assert.equal(store.isRolledBack('r'), true);
    assert.equal((await window(good)).action, 'held', 'flags never went off: no automatic re-enable');
    flags.set('migrate.r.live', false);
    flags.set('migrate.r.shadow', false);
    t += 1_000;
    assert.equal((await controller.tick())[0].action, 'held');
    flags.set('migrate.r.live', true);
    t += 1_000;
    assert.equal((await controller.tick())[0].action, 'resumed-by-flag');
    assert.equal(store.isRolledBack('r'), false);
    await controller.settled();
    assert.deepEqual(
      events.map((e) => [e.kind, e.by]),
      [
        ['rollback', 'replica-1'],
        ['resume', 'unleash'],
      ],
    );
  });

  it('an admin resume clears the state and the old failures; the count starts again at 0', async function () {
    for (let i = 0; i < 3; i++) await window(bad);
    await controller.resume('r', 'admin', 'fixed the model');
    assert.equal(store.isRolledBack('r'), false);
    const d = await window(bad);
    assert.deepEqual([d.action, d.consecutiveFailures], ['judged', 1]);
  });
});

/** A webhook receiver: the real thing a chat hook is, an HTTP endpoint that gets a JSON POST. */
async function startWebhook(): Promise<{ url: string; received: Array<Record<string, unknown>>; close(): Promise<void> }> {
  const received: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('automatic rollback through the real proxy (PostgreSQL for events)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let hook: Awaited<ReturnType<typeof startWebhook>>;
  let h: ShadowHarness | null = null;

  before(async function () {
    db = await createTestDatabase('proxy_rb');
    hook = await startWebhook();
  });
  afterEach(async function () {
    await h?.close();
    h = null;
  });
  after(async function () {
    await hook.close();
    await db.drop();
  });

  /** `windows` windows of `n` requests each, one tick after each; returns the tick decisions. */
  async function windows(harness: ShadowHarness, count: number, n: number) {
    const out = [];
    let sent = harness.sub.windows.added(ROUTE);
    for (let w = 0; w < count; w++) {
      await harness.predict(n, 8, w * n);
      sent += n;
      await harness.pairs(sent);
      const d = await harness.tick();
      out.push(d);
      if (d.action === 'rolled-back') break;
    }
    return out;
  }

  it('rolls back a candidate 3× slower (legacy 10 ms, candidate 30 ms) within the 3 configured windows, then sends it nothing', async function () {
    // Windows of 100 pairs: no latency warm-up, or the first two would carry no latencies.
    h = await startShadowHarness({
      legacy: { delayMs: 10 },
      candidate: { delayMs: 30 },
      env: { DATABASE_URL: db.url, ROLLBACK_WEBHOOK_URL: hook.url, SHADOW_LATENCY_WARMUP_PAIRS: '0' },
    });
    const decisions = await windows(h, 5, 100);
    assert.deepEqual(
      decisions.map((d) => d.action),
      ['judged', 'judged', 'rolled-back'],
      JSON.stringify(h.sub.controller.status()[0].judgement?.reasons),
    );
    const latency = h.sub.controller.status()[0];
    assert.equal(latency.rollback?.state, 'rolled-back');
    const seen = h.candidate.seen;
    const after = await h.predict(50);
    assert.ok(after.every((r) => r.status === 200 && r.servedBy === 'legacy'));
    assert.equal(h.candidate.seen, seen, 'no live or shadow request reached the candidate after the rollback');

    const status = await h.adminGet('/status');
    type RouteStatus = { route: string; verdict: string; candidateAllowed: boolean; rollback: { state: string }; evidence: { criteria: Array<{ name: string; result: string }> } };
    const judged = (status.json.judge.routes as RouteStatus[]).find((r) => r.route === ROUTE)!;
    assert.equal(judged.rollback.state, 'rolled-back');
    assert.equal(judged.candidateAllowed, false);
    assert.equal(judged.verdict, 'fail');
    assert.ok(judged.evidence.criteria.some((c) => c.name === 'latency' && c.result === 'fail'));

    await h.sub.controller.settled();
    const events = await h.sub.comparisons!.db.query('SELECT kind, decided_by, reason, evidence FROM proxy_rollback_events WHERE route = $1', [ROUTE]);
    assert.equal(events.rowCount, 1);
    assert.equal(events.rows[0].kind, 'rollback');
    assert.match(events.rows[0].reason, /latency: median paired ratio candidate\/legacy/);
    assert.equal(events.rows[0].evidence.verdict, 'fail');
    await eventually(() => assert.equal(hook.received.length, 1));
    assert.equal(hook.received[0].route, ROUTE);
    assert.equal(hook.received[0].event, 'rollback');
  });

  it('rolls back a candidate flipping 5% of labels', async function () {
    hook.received.length = 0;
    h = await startShadowHarness({ candidate: { delayMs: 2, flipRate: 0.05, seed: 3 } });
    const decisions = await windows(h, 6, 400);
    assert.equal(decisions.at(-1)?.action, 'rolled-back', JSON.stringify(decisions));
    const mismatch = h.sub.controller.status()[0];
    assert.equal(mismatch.rollback?.state, 'rolled-back');
  });

  it('live mode, candidate answering 500: every client gets the legacy answer and the route is rolled back', async function () {
    h = await startShadowHarness({ candidate: { behaviour: 'fail-500' }, flags: { live: 100, shadow: 100 } });
    const decisions = [];
    const clients = [];
    for (let w = 0; w < 4; w++) {
      const res = await h.predict(60, 8, w * 60);
      clients.push(...res);
      await h.pairs((w + 1) * 60);
      const d = await h.tick();
      decisions.push(d.action);
      if (d.action === 'rolled-back') break;
    }
    assert.deepEqual(decisions, ['judged', 'judged', 'rolled-back']);
    assert.ok(
      clients.every((r) => r.status === 200 && r.servedBy === 'legacy'),
      'clients never saw the 500s',
    );
    const criteria = h.sub.controller.status()[0].judgement?.criteria ?? [];
    assert.equal(criteria.find((c) => c.name === 'error-rate')?.result, 'fail');
    const seen = h.candidate.seen;
    await h.predict(30);
    assert.equal(h.candidate.seen, seen, 'live traffic stopped going to the candidate');
  });

  it('POST /routes/ml-predict/resume clears the rollback (401 without the token, 404 for an unknown route)', async function () {
    h = await startShadowHarness({ candidate: { behaviour: 'fail-500' }, flags: { live: 100, shadow: 100 } });
    await h.sub.store.rollBack(ROUTE, 'test', 'test');
    const seen = h.candidate.seen;
    await h.predict(10);
    assert.equal(h.candidate.seen, seen);
    assert.equal((await request(`${h.proxy.adminUrl}/routes/${ROUTE}/resume`, { method: 'POST', body: {} })).status, 401);
    assert.equal((await h.adminPost('/routes/nope/resume')).status, 404);
    const res = await h.adminPost(`/routes/${ROUTE}/resume`, { reason: 'model fixed' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual([res.json.state, res.json.wasRolledBack], ['resumed', true]);
    h.candidate.options.behaviour = 'normal';
    await h.predict(10);
    assert.ok(h.candidate.seen > seen, 'the candidate gets traffic again');
  });

  it('a release manager turning the flag back on in Unleash after the rollback clears it', async function () {
    h = await startShadowHarness({ candidate: { behaviour: 'fail-500' }, flags: { live: 100, shadow: 100 } });
    for (let w = 0; w < 3; w++) {
      await h.predict(40, 8, w * 40);
      await h.pairs((w + 1) * 40);
      await h.tick();
    }
    assert.equal(h.sub.store.isRolledBack(ROUTE), true);
    // What the rollback's Admin API call does to Unleash, then the release manager's re-enable.
    h.setFlags(100, 100, false);
    assert.equal((await h.tick()).action, 'held');
    h.candidate.options.behaviour = 'normal';
    h.setFlags(100, 100, true);
    assert.equal((await h.tick()).action, 'resumed-by-flag');
    const res = await h.predict(10);
    assert.ok(res.every((r) => r.servedBy === 'candidate'));
  });
});
