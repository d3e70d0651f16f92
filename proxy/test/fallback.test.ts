import assert from 'node:assert/strict';
import { freePort, http } from '@smp/platform/testkit';
import { features } from './support/flag-features.js';
import { startHarness, testRoutes, type Harness } from './support/proxy-harness.js';

const ALL_LIVE = features({ 'migrate.predict.live': 100, 'migrate.write.live': 100, 'migrate.models.live': 100 });

async function metric(h: Harness, pattern: RegExp): Promise<number> {
  const res = await http(`${h.proxy.adminUrl}/metrics`, { headers: h.adminHeaders });
  const line = res.text.split('\n').find((l) => pattern.test(l));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('fallback: a failing candidate on an idempotent route is answered by legacy', function () {
  let h: Harness;

  before(async function () {
    h = await startHarness({ flags: ALL_LIVE, env: { FALLBACK_BODY_LIMIT_BYTES: '1024' } });
  });
  after(async function () {
    await h?.close();
  });
  afterEach(function () {
    h.candidate.behaviour = 'normal';
  });

  it('answers with legacy when the candidate returns 500, replaying the same body, and counts it', async function () {
    h.candidate.behaviour = 'fail-500';
    const res = await http(`${h.proxy.url}/api/v1/ml/predict`, { body: { machine: 'm-7' } });
    assert.equal(res.status, 200);
    assert.equal(res.json.upstream, 'legacy');
    assert.equal(res.json.body, '{"machine":"m-7"}');
    assert.equal(h.candidate.seen.at(-1)?.bodyBytes, 17);
    assert.equal(await metric(h, /^proxy_fallbacks_total\{.*route="predict".*reason="status_5xx"/), 1);
    assert.equal(await metric(h, /^proxy_requests_total\{route="predict",target="legacy",status_class="2xx"/), 1);
  });

  it('answers with legacy when the candidate does not answer within candidateHeadersMs=300', async function () {
    h.candidate.behaviour = 'hang';
    const started = Date.now();
    const res = await http(`${h.proxy.url}/api/v1/ml/models/m1/latest`);
    assert.equal(res.json.upstream, 'legacy');
    assert.ok(Date.now() - started < 3_000);
    assert.equal(await metric(h, /^proxy_fallbacks_total\{.*reason="timeout"/), 1);
  });

  it('answers with legacy when the candidate resets the connection', async function () {
    h.candidate.behaviour = 'reset';
    const res = await http(`${h.proxy.url}/api/v1/ml/predict`, { body: { a: 1 } });
    assert.equal(res.json.upstream, 'legacy');
  });

  it('does not replay a body larger than FALLBACK_BODY_LIMIT_BYTES=1024: the candidate 500 reaches the client', async function () {
    h.candidate.behaviour = 'fail-500';
    const res = await http(`${h.proxy.url}/api/v1/ml/predict`, { body: { pad: 'x'.repeat(4096) } });
    assert.equal(res.status, 500);
    assert.deepEqual(res.json, { detail: 'candidate failed' });
  });

  it('passes a candidate 500 through on a non-idempotent route, counted as a candidate failure', async function () {
    h.candidate.behaviour = 'fail-500';
    const before = await metric(h, /^proxy_candidate_failures_total\{.*route="write".*reason="status_5xx"/);
    const res = await http(`${h.proxy.url}/write`, { body: { a: 1 } });
    assert.equal(res.status, 500);
    assert.equal(await metric(h, /^proxy_candidate_failures_total\{.*route="write".*reason="status_5xx"/), before + 1);
  });

  it('answers 504 {"detail":"Upstream timeout"} when a non-idempotent candidate hangs', async function () {
    h.candidate.behaviour = 'hang';
    const res = await http(`${h.proxy.url}/write`, { body: { a: 1 } });
    assert.equal(res.status, 504);
    assert.deepEqual(res.json, { detail: 'Upstream timeout' });
    assert.ok(res.headers['x-request-id']);
  });
});

describe('upstream failures in the legacy error format', function () {
  let h: Harness;

  before(async function () {
    const routes = { ...testRoutes(), defaults: { timeouts: { headersMs: 300 } } };
    h = await startHarness({ routes, env: { LEGACY_URL: `http://127.0.0.1:${await freePort()}` } });
  });
  after(async function () {
    await h?.close();
  });

  it('answers 502 {"detail":"Upstream unavailable"} with the request id when legacy refuses connections', async function () {
    const res = await http(`${h.proxy.url}/anything`, { headers: { 'x-request-id': 'req-502' } });
    assert.equal(res.status, 502);
    assert.deepEqual(res.json, { detail: 'Upstream unavailable' });
    assert.equal(res.headers['x-request-id'], 'req-502');
    assert.doesNotMatch(res.text, /ECONNREFUSED|at |127\.0\.0\.1/);
  });
});

describe('timeouts on legacy', function () {
  let h: Harness;

  before(async function () {
    h = await startHarness({ routes: { ...testRoutes(), defaults: { timeouts: { headersMs: 300 } } } });
  });
  after(async function () {
    await h?.close();
  });

  it('answers 504 {"detail":"Upstream timeout"} when legacy sends no head within headersMs=300', async function () {
    const started = Date.now();
    const res = await http(`${h.proxy.url}/hang`);
    assert.equal(res.status, 504);
    assert.deepEqual(res.json, { detail: 'Upstream timeout' });
    assert.ok(Date.now() - started < 3_000);
  });
});

describe('circuit breaker per candidate upstream (threshold 3, open 10 s)', function () {
  let h: Harness;
  let now = 1_000_000;

  before(async function () {
    h = await startHarness({ flags: ALL_LIVE, env: { BREAKER_FAILURE_THRESHOLD: '3', BREAKER_OPEN_MS: '10000' }, now: () => now });
  });
  after(async function () {
    await h?.close();
  });

  async function predict(): Promise<string> {
    const res = await http(`${h.proxy.url}/api/v1/ml/predict`, { body: { a: 1 } });
    assert.equal(res.status, 200);
    return res.json.upstream;
  }

  async function breaker(): Promise<{ state: string }> {
    const res = await http(`${h.proxy.adminUrl}/status`, { headers: h.adminHeaders });
    return res.json.breakers.prediction;
  }

  it('opens after 3 consecutive candidate failures; clients still get legacy answers', async function () {
    h.candidate.behaviour = 'fail-500';
    for (let i = 0; i < 3; i++) assert.equal(await predict(), 'legacy');
    assert.equal(h.candidate.seen.length, 3);
    assert.equal((await breaker()).state, 'open');
    assert.match((await http(`${h.proxy.adminUrl}/metrics`, { headers: h.adminHeaders })).text, /proxy_breaker_state\{upstream="prediction"[^}]*\} 2/);
  });

  it('sends nothing to the candidate while open, on any route using it', async function () {
    h.candidate.behaviour = 'normal';
    assert.equal(await predict(), 'legacy');
    const models = await http(`${h.proxy.url}/api/v1/ml/models`);
    assert.equal(models.json.upstream, 'legacy');
    assert.equal(h.candidate.seen.length, 3);
  });

  it('lets one probe through after 10 s and closes when it succeeds', async function () {
    now += 10_000;
    assert.equal(await predict(), 'candidate');
    assert.equal((await breaker()).state, 'closed');
    assert.equal(await predict(), 'candidate');
  });

  it('reopens when the half-open probe fails', async function () {
    h.candidate.behaviour = 'fail-500';
    for (let i = 0; i < 3; i++) await predict();
    assert.equal((await breaker()).state, 'open');
    now += 10_000;
    const seen = h.candidate.seen.length;
    assert.equal(await predict(), 'legacy');
    assert.equal(h.candidate.seen.length, seen + 1, 'exactly one probe');
    assert.equal((await breaker()).state, 'open');
  });
});
