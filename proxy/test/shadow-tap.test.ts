/**
 * The shadow tap alone (serving side), with an injected fake link: what it mirrors, where, with
 * which headers, what it hands to the worker, and every reason it refuses, each counted.
 */
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createRegistry, silentLogger } from '@smp/platform';
import type { Observation } from '../src/compare/comparator.js';
import type { ExchangeStart, RouteDecision, Target } from '../src/exchange.js';
import { compileRouteTable } from '../src/routing/route-table.js';
import { ShadowMetrics, type SkipReason } from '../src/shadow/shadow-metrics.js';
import { ShadowTap, type ShadowLinkPort } from '../src/shadow/shadow-tap.js';
import type { MirrorRequest, WirePair } from '../src/shadow/worker-protocol.js';
import { upstreamRequestHeaders } from '../src/upstream/forward-headers.js';

const UPSTREAMS = { legacy: 'http://legacy.test:8010', prediction: 'http://prediction.test:8001/base' };
const TABLE = compileRouteTable(
  {
    routes: [
      {
        id: 'ml-predict',
        match: { method: 'POST', path: '/api/v1/ml/predict' },
        legacy: 'legacy',
        candidate: 'prediction',
        idempotent: true,
        rewrite: { prefix: '/api/v1/ml', to: '/v2' },
        shadow: { calibrationRate: 0.5 },
      },
      { id: 'ml-write', match: { method: 'POST', path: '/write' }, legacy: 'legacy', candidate: 'prediction', shadow: { allowWithIdempotencyKey: true } },
      { id: 'ml-off', match: { method: 'POST', path: '/off' }, legacy: 'legacy', candidate: 'prediction', idempotent: true, shadow: { enabled: false } },
      { id: 'no-candidate', match: { path: '/plain' }, legacy: 'legacy', idempotent: true },
    ],
  },
  UPSTREAMS,
);

/** A link that records what the tap hands over; its budget and liveness are set by the test. */
class FakeLink implements ShadowLinkPort {
  running = true;
  free = 10;
  released = 0;
  readonly started: Array<{ id: number; routeId: string; side: Target; mirror: MirrorRequest; secondary: MirrorRequest | null }> = [];
  readonly handed: Array<{ id: number; serving: Observation; pair: WirePair; routeId: string }> = [];
  readonly cancelled: number[] = [];
  private next = 1;

  tryAcquire(): boolean {
    if (!this.running || this.free === 0) return false;
    this.free--;
    return true;
  }
  release(): void {
    this.released++;
    this.free++;
  }
  start(routeId: string, side: Target, mirror: MirrorRequest, secondary: MirrorRequest | null): number {
    const id = this.next++;
    this.started.push({ id, routeId, side, mirror, secondary });
    return id;
  }
  served(id: number, serving: Observation, pair: WirePair, route: { id: string }): void {
    this.handed.push({ id, serving, pair, routeId: route.id });
  }
  cancel(id: number): void {
    this.cancelled.push(id);
  }
}

function harness(options: { allowed?: boolean; random?: number; bodyCap?: number } = {}) {
  const link = new FakeLink();
  const metrics = new ShadowMetrics(createRegistry({ service: 'test', processMetrics: false }), { inFlight: () => 0, queueDepth: () => 0 });
  const tap = new ShadowTap({
    routes: () => TABLE,
    gate: { isAllowed: () => options.allowed ?? true },
    link,
    metrics,
    now: () => 1_000,
    logger: silentLogger('tap-test'),
    requestBodyCap: options.bodyCap ?? 1_000,
    responseBodyCap: 1_000,
    random: () => options.random ?? 0.9,
  });
  return { tap, link, metrics };
}

const RAW = ['Host', 'proxy.local', 'Content-Type', 'application/json', 'Content-Length', '2', 'X-Api-Key', 'k'];

function start(routeId: string, extra: { target?: Target; shadow?: boolean; url?: string; headers?: IncomingHttpHeaders } = {}): ExchangeStart {
  const decision: RouteDecision = { routeId, target: extra.target ?? 'legacy', reason: 'flag', shadow: extra.shadow ?? true, livePercent: 10, shadowPercent: 100 };
  const headers: IncomingHttpHeaders = { host: 'proxy.local', 'content-type': 'application/json', 'content-length': '2', 'x-api-key': 'k', ...extra.headers };
  const req = { rawHeaders: RAW, headers, socket: {} } as unknown as IncomingMessage;
  return {
    decision,
    method: 'POST',
    url: extra.url ?? '/api/v1/ml/predict?x=1',
    headers,
    requestId: 'req-1',
    upstreamHeaders: upstreamRequestHeaders(req, { requestId: 'req-1', clientIp: '10.0.0.9' }),
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    startedAt: process.hrtime.bigint(),
  };
}

const tick = () => new Promise<void>((resolve) => queueMicrotask(resolve));

function header(flat: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i].toLowerCase() === name) out.push(flat[i + 1]);
  return out;
}

describe('shadow tap (serving side, fake link)', function () {
  it('mirrors a legacy-served request to the candidate with the forwarded headers, then hands over the serving answer', async function () {
    const { tap, link, metrics } = harness();
    const obs = tap.begin(start('ml-predict'))!;
    assert.ok(obs);
    obs.requestChunk(Buffer.from('{}'));
    obs.requestEnd();
    assert.equal(link.started.length, 0, 'the mirror leaves after the serving request was dispatched');
    await tick();
    const [s] = link.started;
    assert.equal(s.side, 'candidate');
    assert.equal(s.mirror.origin, 'http://prediction.test:8001');
    assert.equal(s.mirror.path, '/base/v2/predict?x=1', 'base path and the candidate rewrite');
    assert.equal(s.mirror.body?.toString(), '{}');
    assert.equal(s.secondary, null, 'not sampled for calibration (random 0.9 ≥ rate 0.5)');
    const h = s.mirror.headers;
    assert.deepEqual(header(h, 'x-shadow-request'), ['1']);
    assert.deepEqual(header(h, 'x-request-id'), ['req-1']);
    assert.deepEqual(header(h, 'x-forwarded-for'), ['10.0.0.9'], 'the forwarded policy: X-Forwarded-*');
    assert.equal(header(h, 'traceparent').length, 1);
    assert.deepEqual(header(h, 'content-length'), [], 'the mirror client sets the length of the body it sends');
    assert.deepEqual(header(h, 'x-api-key'), ['k']);

    obs.response(200, { 'content-type': 'application/json' });
    obs.responseChunk(Buffer.from('{"a":'));
    obs.responseChunk(Buffer.from('1}'));
    obs.responseEnd(4.5);
    assert.equal(link.handed.length, 1);
    const served = link.handed[0];
    assert.equal(served.id, s.id);
    assert.equal(served.routeId, 'ml-predict');
    assert.equal(served.serving.body.toString(), '{"a":1}');
    assert.equal(served.serving.latencyMs, 4.5);
    assert.deepEqual(served.pair, { mode: 'shadow', method: 'POST', url: '/api/v1/ml/predict?x=1', requestId: 'req-1', livePercent: 10, shadowPercent: 100, variant: null, at: 1_000, servingLagMs: 0 });
    assert.equal(link.free, 9, 'the slot stays taken until the worker reports the pair');
    assert.equal(await metrics.skippedCount('ml-predict', 'budget'), 0);
  });

  it('asks legacy a second time when sampled for calibration', async function () {
    const { tap, link } = harness({ random: 0.1 });
    const obs = tap.begin(start('ml-predict'))!;
    obs.requestEnd();
    await tick();
    assert.equal(link.started[0].secondary?.origin, 'http://legacy.test:8010');
    assert.equal(link.started[0].secondary?.path, '/api/v1/ml/predict?x=1', 'legacy is not rewritten');
  });

  it('live mode: mirrors to legacy, and a failed candidate is the pair’s candidate side', async function () {
    const { tap, link } = harness();
    const obs = tap.begin(start('ml-predict', { target: 'candidate' }))!;
    obs.requestEnd();
    await tick();
    assert.equal(link.started[0].side, 'legacy');
    obs.abort('candidate-timeout');
    assert.equal(link.handed.length, 1);
    assert.equal(link.handed[0].serving.status, null);
    assert.equal(link.handed[0].serving.error, 'timeout');
    assert.equal(link.handed[0].pair.mode, 'live');
  });

  it('a serving answer that completes before the mirror was handed over waits for it', async function () {
    const { tap, link } = harness();
    const obs = tap.begin(start('ml-predict', { url: '/api/v1/ml/predict' }))!;
    obs.requestEnd();
    obs.response(200, {});
    obs.responseEnd(1);
    assert.equal(link.handed.length, 0);
    await tick();
    assert.equal(link.handed.length, 1);
    assert.equal(link.handed[0].id, link.started[0].id);
  });

  it('a client that goes away: before the hand-over the slot is given back, after it the exchange is cancelled', async function () {
    const { tap, link, metrics } = harness();
    const early = tap.begin(start('ml-predict'))!;
    early.abort('client-closed');
    assert.equal(link.released, 1);
    assert.equal(link.free, 10);
    const late = tap.begin(start('ml-predict'))!;
    late.requestEnd();
    await tick();
    late.abort('client-closed');
    assert.deepEqual(link.cancelled, [link.started[0].id]);
    assert.equal(await metrics.skippedCount('ml-predict', 'aborted'), 2);
    const failed = tap.begin(start('ml-predict'))!;
    failed.abort('upstream-connect');
    assert.equal(await metrics.skippedCount('ml-predict', 'serving-failed'), 1);
  });

  it('a request body over the cap is not mirrored and its slot is given back', async function () {
    const { tap, link, metrics } = harness({ bodyCap: 4 });
    const obs = tap.begin(start('ml-predict', { headers: { 'content-length': undefined } }))!;
    obs.requestChunk(Buffer.from('12345'));
    obs.requestEnd();
    await tick();
    assert.equal(link.started.length, 0);
    assert.equal(link.free, 10);
    assert.equal(await metrics.skippedCount('ml-predict', 'request-too-large'), 1);
  });

  describe('refuses, and counts why', function () {
    const cases: Array<[string, () => { s: ExchangeStart; h: ReturnType<typeof harness> }, string, SkipReason]> = [
      ['a route without a candidate', () => ({ s: start('no-candidate'), h: harness() }), 'no-candidate', 'no-candidate'],
      ['a rolled-back route', () => ({ s: start('ml-predict'), h: harness({ allowed: false }) }), 'ml-predict', 'rolled-back'],
      ['a route with shadow.enabled false', () => ({ s: start('ml-off'), h: harness() }), 'ml-off', 'disabled'],
      ['a non-idempotent route, no Idempotency-Key', () => ({ s: start('ml-write'), h: harness() }), 'ml-write', 'not-idempotent'],
      ['a declared body over the cap', () => ({ s: start('ml-predict', { headers: { 'content-length': '5000' } }), h: harness() }), 'ml-predict', 'request-too-large'],
      [
        'a full budget',
        () => {
          const h = harness();
          h.link.free = 0;
          return { s: start('ml-predict'), h };
        },
        'ml-predict',
        'budget',
      ],
      [
        'no worker running',
        () => {
          const h = harness();
          h.link.running = false;
          return { s: start('ml-predict'), h };
        },
        'ml-predict',
        'worker-down',
      ],
    ];
    for (const [what, make, route, reason] of cases) {
      it(`${what}: ${reason}`, async function () {
        const { s, h } = make();
        assert.equal(h.tap.begin(s), null);
        assert.equal(await h.metrics.skippedCount(route, reason), 1);
        assert.equal(h.link.started.length, 0);
      });
    }

    it('not picked by the shadow flag: nothing, not counted', function () {
      const { tap, link } = harness();
      assert.equal(tap.begin(start('ml-predict', { shadow: false })), null);
      assert.equal(link.free, 10);
    });

    it('a non-idempotent route that allows it mirrors a request carrying Idempotency-Key', function () {
      const { tap } = harness();
      assert.ok(tap.begin(start('ml-write', { url: '/write', headers: { 'idempotency-key': 'k-1' } })));
    });
  });
});
