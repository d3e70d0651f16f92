import assert from 'node:assert/strict';
import { silentLogger } from '@smp/platform';
import { createTestDatabase, eventually, http as request, type TestDatabase } from '@smp/platform/testkit';
import type { JudgePair } from '../src/analysis/judge-evidence.js';
import { DEFAULT_JUDGE_SETTINGS } from '../src/analysis/judge-settings.js';
import { RollbackController, type RollbackEvent, type RouteJudging } from '../src/analysis/rollback-controller.js';
import { MemoryRollbackStore } from '../src/state/rollback-store.js';
import { ROUTE, startShadowHarness, type ShadowHarness } from './support/shadow-harness.js';
import { startWebhook } from './support/webhook-receiver.js';

const good: JudgePair = { outcome: 'match', legacyLatencyMs: 5, candidateLatencyMs: 5, legacyError: false, candidateError: false };
const bad = (id: number): JudgePair => ({ ...good, outcome: 'mismatch', id: `req-${id}` });

describe('rollback controller (pair by pair)', function () {
  let t: number;
  let store: MemoryRollbackStore;
  let events: RollbackEvent[];
  let flags: Map<string, boolean>;
  let controller: RollbackController;
  let route: RouteJudging;

  beforeEach(function () {
    t = 0;
    route = { routeId: 'r', settings: { ...DEFAULT_JUDGE_SETTINGS, warmupPairs: 20 }, flags: ['migrate.r.live', 'migrate.r.shadow'] };
    store = new MemoryRollbackStore(() => t);
    events = [];
    flags = new Map([
      ['migrate.r.live', true],
      ['migrate.r.shadow', true],
    ]);
    controller = new RollbackController({
      now: () => t,
      store,
      replicaId: 'replica-1',
      route: (id) => (id === 'r' ? route : undefined),
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

  /** Hand `n` pairs to the controller, 1 ms apart; returns how many went in before the rollback. */
  function feed(pair: (i: number) => JudgePair, n: number): number {
    for (let i = 0; i < n; i++) {
      if (store.isRolledBack('r')) return i;
      t += 1;
      controller.observe('r', pair(i), t);
    }
    return n;
  }

  it('rolls back on the pair where the judge fails, synchronously, with the evidence in the event', async function () {
    feed(() => good, 1_000);
    const used = feed(bad, 100);
    assert.ok(used < 20, `${used} mismatching pairs before the rollback`);
    assert.equal(store.isRolledBack('r'), true);
    await controller.settled();
    assert.equal(events.length, 1);
    const e = events[0];
    assert.equal(e.kind, 'rollback');
    assert.equal(e.decision?.failed?.criterion, 'mismatch-rate');
    assert.equal(e.decision?.failed?.onsetPair, 1_001);
    assert.deepEqual(e.decision?.failed?.examples.at(-1), `req-${used - 1}`);
    assert.match(e.reason, /^mismatch-rate failed at pair 10\d\d: mismatch-rate fail: log e-value/);
    assert.deepEqual(e.flags, ['migrate.r.live', 'migrate.r.shadow']);
    const [status] = controller.status();
    assert.equal(status.lastRollback?.decision.failed?.criterion, 'mismatch-rate');
    assert.equal(status.decision?.pairs, 0, 'the judge starts afresh after the rollback');
  });

  it('fewer pairs than the warm-up never roll back: 19 mismatches with warmupPairs 20 are undecided', function () {
    feed(bad, 19);
    assert.equal(store.isRolledBack('r'), false);
    assert.equal(controller.status()[0].decision?.status, 'undecided');
    feed(bad, 1);
    assert.equal(store.isRolledBack('r'), true, 'the 20th decides');
  });

  it('1,000,000 good pairs do not dilute a later 10% flip', function () {
    feed(() => good, 1_000_000);
    const used = feed((i) => (i % 10 === 0 ? bad(i) : good), 1_000);
    assert.ok(used <= 150, `${used} pairs after the flip`);
  });

  it('stays rolled back while the flags stay on; resumes when a flag goes off and then on again', async function () {
    feed(bad, 100);
    assert.equal(store.isRolledBack('r'), true);
    assert.deepEqual(await controller.watchFlags(), [{ routeId: 'r', action: 'held' }], 'flags never went off: no automatic re-enable');
    flags.set('migrate.r.live', false);
    flags.set('migrate.r.shadow', false);
    assert.equal((await controller.watchFlags())[0].action, 'held');
    flags.set('migrate.r.live', true);
    assert.equal((await controller.watchFlags())[0].action, 'resumed-by-flag');
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

  it('an admin resume clears the state; the evidence starts again from 0 and the warm-up applies again', async function () {
    feed(bad, 100);
    await controller.resume('r', 'admin', 'fixed the model');
    assert.equal(store.isRolledBack('r'), false);
    assert.equal(controller.status()[0].decision?.pairs, 0);
    feed(bad, 19);
    assert.equal(store.isRolledBack('r'), false);
  });

  it('a reload with equal settings keeps the evidence; changed settings start afresh', function () {
    feed(() => good, 500);
    route = { ...route, settings: { ...route.settings } };
    feed(() => good, 1);
    assert.equal(controller.status()[0].decision?.pairs, 501);
    route = { ...route, settings: { ...route.settings, maxMismatchRate: 0.02 } };
    feed(() => good, 1);
    assert.equal(controller.status()[0].decision?.pairs, 1);
    assert.equal(controller.observed('r'), 502);
  });
});

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

  it('rolls back a candidate 3× slower (legacy 10 ms, candidate 30 ms) on the latency evidence, then sends it nothing', async function () {
    h = await startShadowHarness({
      legacy: { delayMs: 10 },
      candidate: { delayMs: 30 },
      env: { DATABASE_URL: db.url, ROLLBACK_WEBHOOK_URL: hook.url, SHADOW_LATENCY_WARMUP_PAIRS: '0' },
    });
    await h.predictUntilRolledBack(1_000);
    const [analysis] = h.sub.controller.status();
    assert.equal(analysis.rollback?.state, 'rolled-back', JSON.stringify(analysis.decision));
    assert.equal(analysis.lastRollback?.decision.failed?.criterion, 'latency');
    const seen = h.candidate.seen;
    const after = await h.predict(50);
    assert.ok(after.every((r) => r.status === 200 && r.servedBy === 'legacy'));
    assert.equal(h.candidate.seen, seen, 'no live or shadow request reached the candidate after the rollback');

    const status = await h.adminGet('/status');
    type RouteStatus = { route: string; candidateAllowed: boolean; rollback: { state: string }; lastRollback: { evidence: { criterion: string; status: string; statistic: number; threshold: number } } };
    const judged = (status.json.judge.routes as RouteStatus[]).find((r) => r.route === ROUTE)!;
    assert.equal(judged.rollback.state, 'rolled-back');
    assert.equal(judged.candidateAllowed, false);
    assert.equal(judged.lastRollback.evidence.criterion, 'latency');
    assert.equal(judged.lastRollback.evidence.status, 'fail');
    assert.ok(judged.lastRollback.evidence.statistic >= judged.lastRollback.evidence.threshold);

    await h.sub.controller.settled();
    const events = await h.sub.comparisons!.db.query('SELECT kind, decided_by, reason, evidence FROM proxy_rollback_events WHERE route = $1', [ROUTE]);
    assert.equal(events.rowCount, 1);
    assert.equal(events.rows[0].kind, 'rollback');
    assert.match(events.rows[0].reason, /^latency failed at pair \d+: /);
    assert.equal(events.rows[0].evidence.status, 'fail');
    assert.equal(events.rows[0].evidence.failed.criterion, 'latency');
    assert.ok(events.rows[0].evidence.failed.examples.length > 0, 'example request ids are stored');
    await eventually(() => assert.equal(hook.received.length, 1));
    assert.equal(hook.received[0].route, ROUTE);
    assert.equal(hook.received[0].event, 'rollback');
    assert.equal((hook.received[0].evidence as { failed: { criterion: string } }).failed.criterion, 'latency');
  });

  it('rolls back a candidate flipping 5% of labels on the mismatch evidence', async function () {
    hook.received.length = 0;
    h = await startShadowHarness({ candidate: { delayMs: 2, flipRate: 0.05, seed: 3 } });
    await h.predictUntilRolledBack(2_000);
    const [analysis] = h.sub.controller.status();
    assert.equal(analysis.rollback?.state, 'rolled-back');
    assert.equal(analysis.lastRollback?.decision.failed?.criterion, 'mismatch-rate');
  });

  it('live mode, candidate answering 500: every client gets the legacy answer and the route is rolled back', async function () {
    h = await startShadowHarness({ candidate: { behaviour: 'fail-500' }, flags: { live: 100, shadow: 100 } });
    const clients = await h.predictUntilRolledBack(1_000);
    assert.equal(h.sub.store.isRolledBack(ROUTE), true);
    assert.ok(
      clients.every((r) => r.status === 200 && r.servedBy === 'legacy'),
      'clients never saw the 500s',
    );
    assert.equal(h.sub.controller.status()[0].lastRollback?.decision.failed?.criterion, 'error-rate');
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
    await h.predictUntilRolledBack(1_000);
    assert.equal(h.sub.store.isRolledBack(ROUTE), true);
    // What the rollback's Admin API call does to Unleash, then the release manager's re-enable.
    h.setFlags(100, 100, false);
    assert.equal(await h.watch(), 'held');
    h.candidate.options.behaviour = 'normal';
    h.setFlags(100, 100, true);
    assert.equal(await h.watch(), 'resumed-by-flag');
    const res = await h.predict(10);
    assert.ok(res.every((r) => r.servedBy === 'candidate'));
  });
});
