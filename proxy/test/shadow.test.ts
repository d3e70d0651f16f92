import assert from 'node:assert/strict';
import { createTestDatabase, eventually, freePort, http, type TestDatabase } from '@smp/platform/testkit';
import { metric, percentile, ROUTE, shadowRoutes, startShadowHarness, type ShadowHarness } from './support/shadow-harness.js';

describe('shadow traffic through the real proxy', function () {
  this.timeout(90_000);
  let db: TestDatabase;
  let h: ShadowHarness | null = null;

  before(async function () {
    db = await createTestDatabase('proxy_shadow');
  });
  afterEach(async function () {
    await h?.close();
    h = null;
  });
  after(async function () {
    await db.drop();
  });

  it('A/A over 5,000 requests with fresh request_id/timestamp: 5,000 pairs, no mismatch, no rollback, all recorded', async function () {
    h = await startShadowHarness({ env: { DATABASE_URL: db.url } });
    for (let w = 0; w < 10; w++) {
      const res = await h.predict(500, 16, w * 500);
      assert.ok(res.every((r) => r.status === 200 && r.servedBy === 'legacy'));
      await h.pairs((w + 1) * 500);
      assert.equal(h.sub.store.isRolledBack(ROUTE), false);
    }
    const decision = h.sub.controller.status()[0].decision;
    assert.equal(decision?.status, 'pass', decision?.reason);
    assert.equal(decision?.pairs, 5_000);
    assert.equal(decision?.criteria.find((c) => c.criterion === 'mismatch-rate')?.events, 0);
    assert.equal(h.sub.store.isRolledBack(ROUTE), false);
    assert.equal(await metric(h, 'proxy_comparisons_total', { route: ROUTE, outcome: 'mismatch' }), 0);
    assert.equal(await metric(h, 'proxy_comparisons_total', { route: ROUTE, outcome: 'match' }), 5_000);
    assert.equal(h.candidate.shadowSeen, 5_000, 'every mirrored request carried X-Shadow-Request: 1');

    await h.sub.mirror.flushRecords();
    await eventually(async () => {
      const summary = await h!.adminGet(`/comparisons/summary?route=${ROUTE}&since=1h`);
      assert.equal(summary.status, 200, summary.text);
      const r = summary.json.routes[0];
      assert.deepEqual([r.pairs, r.matches, r.mismatches, r.matchRate], [5_000, 5_000, 0, 1]);
      assert.ok(r.latency.legacy.p50 > 0 && r.latency.candidate.p99 >= r.latency.candidate.p50);
      assert.deepEqual(r.models, [
        { variant: null, legacyVersion: '2', candidateVersion: '2', pairs: 5_000, labelAgreement: 1, meanConfidenceDelta: 0, maxConfidenceDelta: 0, flaggedAgreement: null, driftAgreement: null },
      ]);
    });
    const list = await h.adminGet(`/comparisons?route=${ROUTE}&since=1h&limit=3`);
    assert.equal(list.json.count, 3);
    assert.equal(list.json.comparisons[0].outcome, 'match');
    assert.equal(list.json.comparisons[0].mode, 'shadow');
  });

  it('records mismatches with paths, a capped sample of both bodies, and lists them with ?outcome=mismatch', async function () {
    h = await startShadowHarness({ candidate: { delayMs: 1, flipRate: 0.5, seed: 9 }, env: { DATABASE_URL: db.url, SHADOW_SAMPLE_BODY_BYTES: '64' } });
    await h.predict(40);
    await h.pairs(40);
    await h.sub.mirror.flushRecords();
    const res = await h.adminGet(`/comparisons?route=${ROUTE}&outcome=mismatch&since=10m`);
    assert.ok(res.json.count > 5, res.text);
    const one = res.json.comparisons[0];
    assert.equal(one.diffs[0].path, 'prediction[0]');
    assert.ok(one.legacyBody.length <= 65 && one.legacyBody.endsWith('…'));
    // The request as the client sent it, its body capped like the answers'.
    assert.equal(one.method, 'POST');
    assert.equal(one.request.url, '/api/v1/ml/predict');
    assert.match(one.request.contentType, /^application\/json/);
    assert.ok(one.request.body.startsWith('{"model_name":"ai4i_classifier"') && one.request.body.length <= 65, one.request.body);
    const summary = await h.adminGet(`/comparisons/summary?route=${ROUTE}&since=10m`);
    const top = summary.json.routes[0].topPaths[0];
    assert.equal(top.path, 'prediction[*]');
    assert.equal(top.example.path, 'prediction[0]');
    assert.equal((await h.adminGet('/comparisons?since=yesterday')).status, 422);
    assert.equal((await h.adminGet('/comparisons?limit=0')).status, 422);
  });

  it('does not mirror a non-idempotent route without an Idempotency-Key; mirrors it with one (route allows it)', async function () {
    h = await startShadowHarness();
    await http(`${h.proxy.url}/write`, { body: { a: 1 } });
    await http(`${h.proxy.url}/write`, { body: { a: 1 } });
    assert.equal(h.candidate.writes, 0);
    assert.equal(await metric(h, 'proxy_shadow_skipped_total', { route: 'ml-write', reason: 'not-idempotent' }), 2);
    await http(`${h.proxy.url}/write`, { body: { a: 1 }, headers: { 'idempotency-key': 'k-1' } });
    await eventually(() => assert.equal(h!.candidate.writes, 1));
  });

  it('does not mirror a request body over SHADOW_BODY_CAP_BYTES (1 KiB), still serves it', async function () {
    h = await startShadowHarness({ env: { SHADOW_BODY_CAP_BYTES: '1024' } });
    const big = { model_name: 'ai4i_classifier', features: { Torque_Nm: 30, Tool_wear_min: 10 }, padding: 'x'.repeat(4_000) };
    const res = await http(`${h.proxy.url}/api/v1/ml/predict`, { body: big });
    assert.equal(res.status, 200);
    assert.equal(h.candidate.seen, 0);
    assert.equal(await metric(h, 'proxy_shadow_skipped_total', { route: ROUTE, reason: 'request-too-large' }), 1);
  });

  it('candidate hanging: client p99 stays put, mirror work past the budget is dropped and counted, timeouts recorded', async function () {
    h = await startShadowHarness({ legacy: { delayMs: 2 }, candidate: { behaviour: 'hang' }, flags: { live: 0, shadow: 0 }, env: { SHADOW_TIMEOUT_MS: '300', SHADOW_MAX_IN_FLIGHT: '16' } });
    const off = await h.predict(600, 8);
    h.setFlags(0, 100);
    const on = await h.predict(600, 8, 600);
    const p99Off = percentile(
      off.map((r) => r.ms),
      0.99,
    );
    const p99On = percentile(
      on.map((r) => r.ms),
      0.99,
    );
    console.log(`        client p99 without shadow ${p99Off.toFixed(2)} ms, with 100% shadow to a hanging candidate ${p99On.toFixed(2)} ms`);
    assert.ok(on.every((r) => r.status === 200));
    assert.ok(p99On < Math.max(3 * p99Off, p99Off + 50), `p99 ${p99On} ms vs ${p99Off} ms`);
    assert.ok(h.sub.mirror.inFlight <= 16);
    const dropped = await metric(h, 'proxy_shadow_skipped_total', { route: ROUTE, reason: 'budget' });
    assert.ok(dropped > 100, `dropped ${dropped}`);
    await eventually(async () => assert.ok((await metric(h!, 'proxy_shadow_mirrors_total', { route: ROUTE, target: 'candidate', result: 'timeout' })) >= 16), 3_000);
    const status = await h.adminGet('/status');
    assert.equal(status.json.shadow.mirrorBudget, 16);
  });

  it('calibration (legacy asked twice) reports request_id and timestamp as noise already covered by the defaults', async function () {
    h = await startShadowHarness({ routes: shadowRoutes({ shadow: { calibrationRate: 1 } }) });
    await h.predict(30);
    await h.pairs(30);
    await eventually(async () => {
      const res = await h!.adminGet(`/comparisons/noise?route=${ROUTE}`);
      const report = res.json.routes[0];
      assert.equal(report.samples, 30);
      const paths = Object.fromEntries(report.paths.map((p: { path: string; covered: boolean; rate: number }) => [p.path, p]));
      assert.deepEqual(Object.keys(paths).sort(), ['request_id', 'timestamp']);
      assert.equal(paths.request_id.covered, true);
      assert.equal(paths.request_id.rate, 1);
    });
    assert.equal(h.legacy.shadowSeen, 30, 'the second legacy call is marked X-Shadow-Request: 1');
  });

  it('with PostgreSQL unreachable: starts, serves every request, drops and counts the records, answers 503 on /comparisons', async function () {
    h = await startShadowHarness({ env: { DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/none` } });
    const res = await h.predict(20);
    assert.ok(res.every((r) => r.status === 200));
    await h.pairs(20);
    await h.sub.mirror.flushRecords();
    assert.equal(await metric(h, 'proxy_comparison_records_dropped_total', { reason: 'not-migrated' }), 20);
    const list = await h.adminGet('/comparisons');
    assert.equal(list.status, 503);
    assert.deepEqual(list.json, { detail: 'Comparison store unavailable: database not reachable' });
    assert.equal((await h.adminGet('/status')).json.shadow.recorder.schemaReady, false);
  });

  it('refuses to start with an invalid compare rule, naming the route and the pattern', async function () {
    await assert.rejects(startShadowHarness({ routes: shadowRoutes({ compare: { ignore: ["a..b"] } }) }), /routes\[0\]\.compare: bad path pattern "a\.\.b"/);
  });
});
