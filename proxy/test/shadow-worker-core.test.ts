/**
 * The worker side alone, with injected fakes for the mirror client and the recorder: the one
 * dispatcher (start / served / cancel / rules / schema / flush / close), one `pair` event per
 * exchange, the pure pair -> {comparison, judge sample, record} function, and the batching
 * scheduler both sides of the thread boundary use.
 */
import assert from 'node:assert/strict';
import type { Observation } from '../src/compare/comparator.js';
import { compileCompareRules } from '../src/compare/compare-rules.js';
import type { ComparisonRecord } from '../src/report/comparison-recorder.js';
import { noiseDiffs, pairResult } from '../src/shadow-worker/pair-result.js';
import { ShadowWorkerCore } from '../src/shadow-worker/worker-core.js';
import { BatchScheduler, BodyPacker, type FromWorker, type MirrorRequest, type ToWorker, type WirePair } from '../src/shadow/worker-protocol.js';

function obs(status: number | null, body: string, latencyMs = 5, error: string | null = null): Observation {
  return Object.freeze({ status, error, latencyMs, headers: status === null ? {} : { 'content-type': 'application/json' }, body: Buffer.from(body), truncated: false });
}

const FACTS: WirePair = Object.freeze({ mode: 'shadow', method: 'POST', url: '/predict?v=1', requestId: 'r-1', livePercent: 0, shadowPercent: 100, variant: null, at: 42, servingLagMs: 0 });

/** Mirror requests sent; the test answers them. Cancelling answers `aborted`, as the real client does. */
class FakeMirror {
  readonly sent: Array<{ request: MirrorRequest; answer: (o: Observation) => void; cancelled: boolean }> = [];
  closed = false;
  send(request: MirrorRequest, done: (o: Observation) => void): () => void {
    let finished = false;
    const entry = {
      request,
      cancelled: false,
      answer: (o: Observation) => {
        if (finished) return;
        finished = true;
        done(o);
      },
    };
    this.sent.push(entry);
    return () => {
      entry.cancelled = true;
      entry.answer(obs(null, '', 1, 'aborted'));
    };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

class FakeRecorder {
  readonly records: ComparisonRecord[] = [];
  flushes = 0;
  closed = false;
  enqueue(record: ComparisonRecord): boolean {
    this.records.push(record);
    return true;
  }
  async flush(): Promise<void> {
    this.flushes++;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function core(options: { warmup?: number; lagMs?: () => number } = {}) {
  const mirror = new FakeMirror();
  const recorder = new FakeRecorder();
  const events: FromWorker[] = [];
  let closed = 0;
  const c = new ShadowWorkerCore({
    mirror,
    recorder,
    sampleBodyBytes: 8,
    emit: (e) => events.push(e),
    onClosed: () => closed++,
    latencyWarmupPairs: options.warmup ?? 0,
    lag: { maxLagWithin: options.lagMs ?? (() => 0) },
  });
  /** One batch, bodies packed as ShadowLink packs them. */
  const send = (build: (packer: BodyPacker) => ToWorker[]) => {
    const packer = new BodyPacker();
    const messages = build(packer);
    c.handle(messages, packer.pack());
  };
  const startMsg = (id: number, packer: BodyPacker, secondary = false): ToWorker => {
    const wire = { origin: 'http://candidate.test', path: '/p', method: 'POST', headers: ['Content-Type', 'application/json', 'x-shadow-request', '1'], body: packer.add(Buffer.from('{"q":1}')) };
    return { t: 'start', id, routeId: 'ml-predict', mirrorSide: 'candidate', mirror: wire, secondary: secondary ? { ...wire, origin: 'http://legacy.test' } : null };
  };
  const servedMsg = (id: number, packer: BodyPacker, body: string, rules = 'k1', servingLagMs = 0): ToWorker => ({
    t: 'served',
    id,
    rules,
    pair: { ...FACTS, servingLagMs },
    serving: { status: 200, error: null, latencyMs: 3, headers: { 'content-type': 'application/json' }, truncated: false, body: packer.add(Buffer.from(body)) },
  });
  const rulesMsg: ToWorker = { t: 'rules', key: 'k1', routeId: 'ml-predict', config: {} };
  return { c, mirror, recorder, events, send, startMsg, servedMsg, rulesMsg, closedCount: () => closed };
}

const pairs = (events: FromWorker[]) => events.filter((e): e is Extract<FromWorker, { t: 'pair' }> => e.t === 'pair');

describe('shadow worker core (worker side, fake mirror and recorder)', function () {
  it('start, served, mirror answer: one pair event with the comparison and the judge sample, one record', function () {
    const t = core();
    t.send((p) => [t.rulesMsg, t.startMsg(1, p)]);
    assert.equal(t.mirror.sent.length, 1);
    assert.equal(t.mirror.sent[0].request.body?.toString(), '{"q":1}');
    t.send((p) => [t.servedMsg(1, p, '{"prediction":[1],"request_id":"a"}')]);
    assert.equal(pairs(t.events).length, 0, 'waits for the mirror');
    t.mirror.sent[0].answer(obs(200, '{"prediction":[1],"request_id":"b"}', 7));
    const [pair] = pairs(t.events);
    assert.deepEqual(pair, {
      t: 'pair',
      id: 1,
      route: 'ml-predict',
      side: 'candidate',
      mirror: 'answered',
      comparison: { outcome: 'match', reason: null, unscored: null, at: 42, variant: null, mode: 'shadow', sample: { outcome: 'match', legacyLatencyMs: 3, candidateLatencyMs: 7, legacyError: false, candidateError: false, id: 'r-1' } },
    });
    assert.equal(t.recorder.records.length, 1);
    assert.equal(t.recorder.records[0].legacy.latencyMs, 3, 'shadow mode: the serving answer is legacy');
    assert.equal(t.recorder.records[0].request, null, 'a match keeps no request');
    assert.equal(t.c.inFlight, 0);
  });

  it('a mismatch records its request: the URL the client sent, the content type and body of the mirrored request', function () {
    const t = core();
    t.send((p) => [t.rulesMsg, t.startMsg(1, p)]);
    t.send((p) => [t.servedMsg(1, p, '{"prediction":[1]}')]);
    t.mirror.sent[0].answer(obs(200, '{"prediction":[0]}', 7));
    assert.equal(t.recorder.records[0].result.outcome, 'mismatch');
    assert.deepEqual(t.recorder.records[0].request, { url: '/predict?v=1', contentType: 'application/json', body: '{"q":1}' });
  });

  it('the mirror may answer before the serving side reports', function () {
    const t = core();
    t.send((p) => [t.rulesMsg, t.startMsg(1, p)]);
    t.mirror.sent[0].answer(obs(200, '{"a":2}'));
    assert.equal(pairs(t.events).length, 0);
    t.send((p) => [t.servedMsg(1, p, '{"a":1}')]);
    assert.equal(pairs(t.events)[0].comparison?.outcome, 'mismatch');
  });

  it('cancel: the mirror is cancelled and the exchange ends without a comparison', function () {
    const t = core();
    t.send((p) => [t.rulesMsg, t.startMsg(1, p)]);
    t.send(() => [{ t: 'cancel', id: 1 }]);
    assert.equal(t.mirror.sent[0].cancelled, true);
    const [pair] = pairs(t.events);
    assert.equal(pair.comparison, null);
    assert.equal(t.recorder.records.length, 0);
  });

  it('unknown rules: counted and logged, the exchange freed, the next message still handled', function () {
    const t = core();
    t.send((p) => [t.startMsg(1, p), t.servedMsg(1, p, '{}', 'missing'), t.startMsg(2, p)]);
    assert.deepEqual(
      t.events.filter((e) => e.t === 'raised'),
      [{ t: 'raised', operation: 'worker-served' }],
    );
    assert.equal(pairs(t.events)[0].id, 1);
    assert.equal(t.mirror.sent.length, 2);
  });

  it('calibration: legacy asked twice yields noise diffs; the exchange ends once both answers came', function () {
    const t = core();
    t.send((p) => [t.rulesMsg, t.startMsg(1, p, true), t.servedMsg(1, p, '{"x":1,"t":"a"}')]);
    assert.equal(t.mirror.sent.length, 2);
    t.mirror.sent[0].answer(obs(200, '{"x":1,"t":"b"}'));
    assert.equal(pairs(t.events).length, 0, 'the calibration answer is still awaited');
    t.mirror.sent[1].answer(obs(200, '{"x":1,"t":"c"}'));
    const noise = t.events.find((e) => e.t === 'noise');
    assert.deepEqual(
      noise && noise.t === 'noise' ? noise.diffs.map((d) => d.path) : null,
      ['t'],
    );
    assert.equal(pairs(t.events).length, 1);
  });

  it('the first latencyWarmupPairs samples reach the judge without latencies; records keep them', function () {
    const t = core({ warmup: 1 });
    for (const id of [1, 2]) {
      t.send((p) => [t.rulesMsg, t.startMsg(id, p), t.servedMsg(id, p, '{}')]);
      t.mirror.sent[id - 1].answer(obs(200, '{}', 9));
    }
    const [first, second] = pairs(t.events).map((e) => e.comparison!.sample!);
    assert.deepEqual([first.legacyLatencyMs, first.candidateLatencyMs], [null, null]);
    assert.deepEqual([second.legacyLatencyMs, second.candidateLatencyMs], [3, 9]);
    assert.deepEqual(
      t.recorder.records.map((r) => r.candidate.latencyMs),
      [9, 9],
    );
  });

  it("a side timed through its thread's lag reaches the judge without latencies (unscored: lag); records keep them", function () {
    let workerLag = 0;
    const t = core({ lagMs: () => workerLag });
    const pair = (id: number, servingLag: number, mirrorLag: number, mirrored: Observation) => {
      workerLag = mirrorLag;
      t.send((p) => [t.rulesMsg, t.startMsg(id, p), t.servedMsg(id, p, '{}', 'k1', servingLag)]);
      t.mirror.sent[id - 1].answer(mirrored);
      return pairs(t.events).at(-1)!.comparison!;
    };
    // Serving side 3 ms: clean up to 1 ms of lag. Mirrored 9 ms: clean up to 1.8 ms.
    const clean = pair(1, 1, 1.8, obs(200, '{}', 9));
    assert.deepEqual([clean.sample?.legacyLatencyMs, clean.sample?.candidateLatencyMs, clean.unscored], [3, 9, null]);
    const servingLagged = pair(2, 1.2, 0, obs(200, '{}', 9));
    assert.deepEqual([servingLagged.sample?.legacyLatencyMs, servingLagged.sample?.candidateLatencyMs, servingLagged.unscored], [null, null, 'lag']);
    const mirrorLagged = pair(3, 0, 2, obs(200, '{}', 9));
    assert.equal(mirrorLagged.unscored, 'lag');
    assert.equal(mirrorLagged.sample?.outcome, 'match', 'the comparison still reaches the judge');
    assert.deepEqual(
      t.recorder.records.map((r) => [r.legacy.latencyMs, r.candidate.latencyMs]),
      [
        [3, 9],
        [3, 9],
        [3, 9],
      ],
    );
  });

  it('while most recent pairs were timed through lag (saturated), even clean pairs carry no latencies; clean timing brings them back', function () {
    let workerLag = 0;
    const t = core({ lagMs: () => workerLag });
    let id = 0;
    const next = (mirrorLag: number) => {
      id++;
      workerLag = mirrorLag;
      t.send((p) => [t.rulesMsg, t.startMsg(id, p), t.servedMsg(id, p, '{}')]);
      t.mirror.sent[id - 1].answer(obs(200, '{}', 9));
      return pairs(t.events).at(-1)!.comparison!.unscored;
    };
    const dirty = Array.from({ length: 60 }, () => next(5));
    assert.ok(dirty.every((u) => u === 'lag'));
    assert.equal(next(0), 'saturated', 'a clean pair after 60 lagged ones');
    const recovery = Array.from({ length: 80 }, () => next(0));
    const firstScored = recovery.indexOf(null);
    assert.ok(firstScored > 0 && recovery.slice(firstScored).every((u) => u === null), `scored again after ${firstScored + 1} clean pairs: ${recovery.join(',')}`);
  });

  it('a mirror timeout timed through lag is no evidence (no sample); a clean one counts as the candidate failing', function () {
    let workerLag = 0;
    const t = core({ lagMs: () => workerLag });
    const timeout = (id: number, lag: number) => {
      workerLag = lag;
      t.send((p) => [t.rulesMsg, t.startMsg(id, p), t.servedMsg(id, p, '{}')]);
      t.mirror.sent[id - 1].answer(obs(null, '', 2_000, 'timeout'));
      return pairs(t.events).at(-1)!.comparison!;
    };
    const lagged = timeout(1, 450);
    assert.deepEqual([lagged.sample, lagged.unscored], [null, 'timeout']);
    const clean = timeout(2, 30);
    assert.equal(clean.sample?.candidateError, true);
    assert.equal(clean.unscored, null);
    assert.equal(t.recorder.records.length, 2, 'both recorded');
  });

  it('schema, flush and close go through the same dispatcher', async function () {
    const t = core();
    assert.equal(t.c.recording, false);
    t.send(() => [{ t: 'schema', ready: true }, { t: 'flush', token: 7 }]);
    assert.equal(t.c.recording, true);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(t.recorder.flushes, 1);
    assert.deepEqual(t.events.at(-1), { t: 'flushed', token: 7 });
    t.send((p) => [t.rulesMsg, t.startMsg(1, p), { t: 'close' }, t.startMsg(2, p)]);
    assert.equal(t.mirror.sent.length, 1, 'nothing after close is handled');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(t.mirror.sent[0].cancelled, true, 'what was in flight is cancelled');
    assert.deepEqual([t.recorder.closed, t.mirror.closed, t.closedCount()], [true, true, 1]);
  });
});

describe('pairResult (pure): a pair -> its comparison, judge sample and record', function () {
  const rules = compileCompareRules('ml-predict');
  const json = { contentType: 'application/json', body: Buffer.from('{"f":[1,2]}') };
  const request = (body: string | null) => ({ url: '/predict?v=1', contentType: 'application/json', body });
  const rows: Array<[string, Observation, Observation, { outcome: string; candidateError: boolean; candidateLatency: number | null; bodies: [string | null, string | null]; request: unknown }]> = [
    ['equal answers keep no request', obs(200, '{"a":1}', 2), obs(200, '{"a":1}', 4), { outcome: 'match', candidateError: false, candidateLatency: 4, bodies: [null, null], request: null }],
    ['different answers keep capped bodies and the capped request', obs(200, '{"a":1,"pad":"xxxxxxxx"}', 2), obs(200, '{"a":2}', 4), { outcome: 'mismatch', candidateError: false, candidateLatency: 4, bodies: ['{"a":1,"…', '{"a":2}'], request: request('{"f":[1,…') }],
    ['no candidate answer', obs(200, '{"a":1}', 2), obs(null, '', 2000, 'timeout'), { outcome: 'mismatch', candidateError: true, candidateLatency: null, bodies: ['{"a":1}', null], request: request('{"f":[1,…') }],
    ['a candidate 500', obs(200, '{"a":1}', 2), obs(500, '{"detail":"x"}', 3), { outcome: 'mismatch', candidateError: true, candidateLatency: 3, bodies: ['{"a":1}', '{"detail…'], request: request('{"f":[1,…') }],
  ];
  for (const [what, legacy, candidate, want] of rows) {
    it(what, function () {
      const { comparison, sample, record } = pairResult({ routeId: 'ml-predict', facts: FACTS, legacy, candidate, rules, request: json }, 8);
      assert.equal(comparison.outcome, want.outcome);
      assert.equal(sample.outcome, want.outcome);
      assert.equal(sample.candidateError, want.candidateError);
      assert.equal(sample.candidateLatencyMs, want.candidateLatency);
      assert.deepEqual([record.legacyBody, record.candidateBody], want.bodies);
      assert.deepEqual(record.request, want.request);
      assert.equal(record.result, comparison);
      assert.deepEqual([record.at, record.requestId, record.mode], [42, 'r-1', 'shadow']);
    });
  }

  it('a request without a body (GET) keeps its URL and no body', function () {
    const { record } = pairResult({ routeId: 'r', facts: { ...FACTS, method: 'GET' }, legacy: obs(200, '{"a":1}'), candidate: obs(200, '{"a":2}'), rules, request: { contentType: null, body: null } }, 8);
    assert.deepEqual(record.request, { url: '/predict?v=1', contentType: null, body: null });
  });

  it('noiseDiffs: null unless both answers are whole JSON', function () {
    assert.equal(noiseDiffs(obs(200, 'not json'), obs(200, '{}')), null);
    assert.equal(noiseDiffs(obs(null, '', 1, 'timeout'), obs(200, '{}')), null);
    assert.deepEqual(
      noiseDiffs(obs(200, '{"a":1,"b":2}'), obs(200, '{"a":1,"b":3}'))?.map((d) => d.path),
      ['b'],
    );
  });
});

describe('BatchScheduler: at most one batch per gap, both sides of the thread boundary', function () {
  it('many requests in one turn make one batch; the next waits out the gap; now() sends at once', async function () {
    const sentAt: number[] = [];
    const batches = new BatchScheduler(20, () => sentAt.push(performance.now()));
    for (let i = 0; i < 100; i++) batches.request();
    assert.equal(batches.pending, true);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sentAt.length, 1, 'quiet: sent on the next turn, no wait');
    batches.request();
    batches.request();
    await new Promise((resolve) => setTimeout(resolve, 40));
    assert.equal(sentAt.length, 2);
    assert.ok(sentAt[1] - sentAt[0] >= 19, `gap ${(sentAt[1] - sentAt[0]).toFixed(1)} ms`);
    batches.request();
    batches.now();
    assert.equal(sentAt.length, 3);
    assert.equal(batches.pending, false, 'now() replaces the scheduled batch');
  });
});
