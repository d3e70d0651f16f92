import assert from 'node:assert/strict';
import http from 'node:http';
import { eventually, http as request } from '@smp/platform/testkit';
import type { ExchangeTap } from '../src/exchange.js';
import { answerDefect, HeldAnswer } from '../src/upstream/held-answer.js';
import { classifyError } from '../src/upstream/upstream-error.js';
import { features } from './support/flag-features.js';
import { startHarness, testRoutes, type Harness } from './support/proxy-harness.js';
import type { Behaviour } from './support/test-upstream.js';

const ALL_LIVE = features({ 'migrate.predict.live': 100, 'migrate.write.live': 100, 'migrate.models.live': 100 });

async function metric(h: Harness, pattern: RegExp): Promise<number> {
  const res = await request(`${h.proxy.adminUrl}/metrics`, { headers: h.adminHeaders });
  const line = res.text.split('\n').find((l) => pattern.test(l));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('held answer: which complete candidate answers may reach the client', function () {
  const answer = (status: number, headers: string[], body: string) => {
    const held = new HeldAnswer(status, '', headers, 1024);
    held.add(Buffer.from(body));
    return held;
  };
  const cases: [string, string, number, string[], string, 'invalid_body' | null][] = [
    ['valid JSON', 'GET', 200, ['Content-Type', 'application/json'], '{"a":1}', null],
    ['JSON with charset', 'GET', 200, ['content-type', 'application/json; charset=utf-8'], '[1,2]', null],
    ['problem+json, broken', 'GET', 400, ['content-type', 'application/problem+json'], '{"a":', 'invalid_body'],
    ['broken JSON', 'POST', 200, ['content-type', 'application/json'], '{"a":1', 'invalid_body'],
    ['empty body said to be JSON', 'POST', 200, ['content-type', 'application/json'], '', 'invalid_body'],
    ['HEAD: no body to check', 'HEAD', 200, ['content-type', 'application/json'], '', null],
    ['204', 'POST', 204, ['content-type', 'application/json'], '', null],
    ['not JSON at all: text', 'GET', 200, ['content-type', 'text/plain'], '{oops', null],
    ['no content type', 'GET', 200, [], '{oops', null],
    ['gzip: not inflated here', 'GET', 200, ['content-type', 'application/json', 'content-encoding', 'gzip'], '\x1f\x8b', null],
    ['jsonp is not JSON type', 'GET', 200, ['content-type', 'application/jsonp'], '{oops', null],
  ];
  for (const [name, method, status, headers, body, expected] of cases) {
    it(`${name} -> ${expected}`, function () {
      assert.equal(answerDefect(method, answer(status, headers, body)), expected);
    });
  }

  it('add() says false once the limit is passed, keeping every chunk', function () {
    const held = new HeldAnswer(200, '', [], 4);
    assert.equal(held.add(Buffer.from('ab')), true);
    assert.equal(held.add(Buffer.from('cd')), true);
    assert.equal(held.add(Buffer.from('e')), false);
    assert.equal(held.body().toString(), 'abcde');
  });

  it('classifies undici errors before and after the head', function () {
    const err = (code: string) => Object.assign(new Error(code), { code });
    assert.equal(classifyError(err('UND_ERR_HEADERS_TIMEOUT')), 'timeout');
    assert.equal(classifyError(err('ECONNREFUSED')), 'connect');
    assert.equal(classifyError(err('UND_ERR_SOCKET')), 'error');
    assert.equal(classifyError(err('UND_ERR_BODY_TIMEOUT'), true), 'body_timeout');
    assert.equal(classifyError(err('ECONNRESET'), true), 'reset_after_head');
    assert.equal(classifyError(err('UND_ERR_SOCKET'), true), 'truncated');
    assert.equal(classifyError(err('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'), true), 'truncated');
  });
});

describe('a candidate failing after its head, on an idempotent route: the client gets legacy, whole', function () {
  let h: Harness;
  const aborts: string[] = [];
  const tap: ExchangeTap = {
    begin: () => ({ requestChunk() {}, requestEnd() {}, response() {}, responseChunk() {}, responseEnd() {}, abort: (reason) => aborts.push(reason) }),
  };

  before(async function () {
    const routes = testRoutes(300) as { routes: { timeouts: Record<string, number> }[] };
    for (const r of routes.routes) r.timeouts.candidateBodyMs = 300;
    h = await startHarness({ flags: ALL_LIVE, routes, hooks: { tap } });
  });
  after(async function () {
    await h?.close();
  });
  beforeEach(function () {
    h.candidate.behaviour = 'normal';
    aborts.length = 0;
  });

  const kinds: [Behaviour, string][] = [
    ['reset-after-head', 'reset_after_head'],
    ['truncated', 'truncated'],
    ['stall-body', 'body_timeout'],
    ['garbage-json', 'invalid_body'],
  ];
  for (const [behaviour, kind] of kinds) {
    it(`${behaviour}: legacy's 200 with the same body; counted as ${kind} (fallback, failure, tap)`, async function () {
      h.candidate.behaviour = behaviour;
      const before = await metric(h, new RegExp(`^proxy_candidate_failures_total\\{.*route="predict".*reason="${kind}"`));
      const res = await request(`${h.proxy.url}/api/v1/ml/predict`, { body: { machine: 'm-9' } });
      assert.equal(res.status, 200);
      assert.equal(res.json.upstream, 'legacy');
      assert.equal(res.json.body, '{"machine":"m-9"}');
      assert.equal(await metric(h, new RegExp(`^proxy_candidate_failures_total\\{.*route="predict".*reason="${kind}"`)), before + 1);
      assert.ok((await metric(h, new RegExp(`^proxy_fallbacks_total\\{.*route="predict".*reason="${kind}"`))) >= 1);
      assert.deepEqual(aborts, [`candidate-${kind}`]);
    });
  }

  it('a sound candidate answer still reaches the client whole, from the candidate', async function () {
    const res = await request(`${h.proxy.url}/api/v1/ml/models/m1`);
    assert.equal(res.status, 200);
    assert.equal(res.json.upstream, 'candidate');
  });

  it('on a non-idempotent route the request is sent once: a reset after the head cuts the client, counted', async function () {
    h.candidate.behaviour = 'reset-after-head';
    const seenBefore = h.candidate.seen.length;
    const legacyBefore = h.legacy.seen.length;
    const outcome = await new Promise<string>((resolve) => {
      const req = http.request(`${h.proxy.url}/write`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve('complete'));
        res.on('error', () => resolve('cut'));
        res.on('aborted', () => resolve('cut'));
      });
      req.on('error', () => resolve('cut'));
      req.end('{"a":1}');
    });
    assert.equal(outcome, 'cut');
    assert.equal(h.candidate.seen.length, seenBefore + 1);
    assert.equal(h.legacy.seen.length, legacyBefore, 'never sent to legacy');
    await eventually(async () => assert.equal(await metric(h, /^proxy_candidate_failures_total\{.*route="write".*reason="reset_after_head"/), 1));
  });
});

describe('after-head failures count for the breaker (threshold 3)', function () {
  let h: Harness;

  before(async function () {
    h = await startHarness({ flags: ALL_LIVE, env: { BREAKER_FAILURE_THRESHOLD: '3', BREAKER_OPEN_MS: '60000' } });
  });
  after(async function () {
    await h?.close();
  });

  it('three truncated answers open it; then the candidate gets nothing and clients still get legacy', async function () {
    h.candidate.behaviour = 'truncated';
    for (let i = 0; i < 3; i++) assert.equal((await request(`${h.proxy.url}/api/v1/ml/predict`, { body: { i } })).json.upstream, 'legacy');
    const status = await request(`${h.proxy.adminUrl}/status`, { headers: h.adminHeaders });
    assert.equal(status.json.breakers.prediction.state, 'open');
    const seen = h.candidate.seen.length;
    assert.equal((await request(`${h.proxy.url}/api/v1/ml/predict`, { body: { a: 1 } })).json.upstream, 'legacy');
    assert.equal(h.candidate.seen.length, seen);
  });
});

describe('answers above CANDIDATE_BUFFER_LIMIT_BYTES=1000 stream (the documented trade-off)', function () {
  let h: Harness;

  before(async function () {
    const routes = { routes: [{ id: 'any', match: { method: 'GET', prefix: '/' }, legacy: 'legacy', candidate: 'prediction', idempotent: true }] };
    h = await startHarness({ flags: features({ 'migrate.any.live': 100 }), routes, env: { CANDIDATE_BUFFER_LIMIT_BYTES: '1000' } });
  });
  after(async function () {
    await h?.close();
  });

  it('a 64 KiB answer with Content-Length streams from the candidate, whole', async function () {
    const res = await request(`${h.proxy.url}/big/65536`);
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 65536);
    assert.equal(h.legacy.seen.length, 0);
  });

  it('a chunked answer that outgrows the bound while held streams on, held bytes first', async function () {
    const res = await request(`${h.proxy.url}/slow`);
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 20 * 1024);
    for (let i = 0; i < 20; i++) assert.equal(res.body[i * 1024], i + 1);
    assert.equal(h.legacy.seen.length, 0);
  });
});

describe('a hanging candidate holding every pooled connection (UPSTREAM_CONNECTIONS=2)', function () {
  let h: Harness;

  before(async function () {
    h = await startHarness({ flags: ALL_LIVE, env: { UPSTREAM_CONNECTIONS: '2' } });
  });
  after(async function () {
    await h?.close();
  });

  it('requests queued behind them fall back after candidateHeadersMs=300 too, not after the hung ones', async function () {
    h.candidate.behaviour = 'hang';
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => request(`${h.proxy.url}/api/v1/ml/predict`, { body: { i } })));
    const took = Date.now() - started;
    assert.deepEqual(answers.map((a) => a.json.upstream), Array(8).fill('legacy'));
    assert.ok(took < 1_500, `took ${took} ms`);
  });
});
