import assert from 'node:assert/strict';
import http from 'node:http';
import { eventually, http as request } from '@smp/platform/testkit';
import type { ExchangeObserver, ExchangeStart, ExchangeTap } from '../src/exchange.js';
import { features } from './support/flag-features.js';
import { startHarness, type Harness } from './support/proxy-harness.js';

interface Recorded {
  start: ExchangeStart;
  events: string[];
  requestBody: Buffer[];
  responseBody: Buffer[];
  latencyMs?: number;
}

/** A tap that records every observer call, as the shadowing code would receive them. */
function recordingTap(log: Recorded[]): ExchangeTap {
  return {
    begin(start) {
      const rec: Recorded = { start, events: [], requestBody: [], responseBody: [] };
      log.push(rec);
      const observer: ExchangeObserver = {
        requestChunk: (c) => rec.requestBody.push(c),
        requestEnd: () => rec.events.push('requestEnd'),
        response: (status, headers) => rec.events.push(`response ${status} ${headers['content-type']}`),
        responseChunk: (c) => rec.responseBody.push(c),
        responseEnd: (ms) => {
          rec.latencyMs = ms;
          rec.events.push('responseEnd');
        },
        abort: (reason) => rec.events.push(`abort ${reason}`),
      };
      return observer;
    },
  };
}

describe('exchange tap: the observer is fed as bytes flow', function () {
  let h: Harness;
  const log: Recorded[] = [];

  before(async function () {
    h = await startHarness({ flags: features({ 'migrate.predict.live': 100, 'migrate.write.live': 100, 'migrate.models.shadow': 100 }), hooks: { tap: recordingTap(log) } });
  });
  after(async function () {
    await h?.close();
  });
  beforeEach(function () {
    log.length = 0;
    h.candidate.behaviour = 'normal';
  });

  it('sees the decision, request body, response head, body and the serving latency of a candidate exchange', async function () {
    const res = await request(`${h.proxy.url}/api/v1/ml/predict?x=1`, { body: { machine: 'm-1' }, headers: { 'x-request-id': 'tap-1', 'x-api-key': 'k' } });
    await eventually(() => assert.ok(log[0]?.events.includes('responseEnd')));
    const rec = log[0];
    assert.equal(rec.start.decision.routeId, 'predict');
    assert.equal(rec.start.decision.target, 'candidate');
    assert.equal(rec.start.method, 'POST');
    assert.equal(rec.start.url, '/api/v1/ml/predict?x=1');
    assert.equal(rec.start.requestId, 'tap-1');
    assert.equal(rec.start.headers['x-api-key'], 'k');
    assert.equal(rec.start.headers.connection, undefined);
    assert.equal(Buffer.concat(rec.requestBody).toString(), '{"machine":"m-1"}');
    assert.deepEqual(rec.events, ['requestEnd', 'response 200 application/json', 'responseEnd']);
    assert.ok(Buffer.concat(rec.responseBody).equals(res.body));
    assert.ok(rec.latencyMs! > 0 && rec.latencyMs! < 5_000);
  });

  it('marks the shadow flag in the decision of a legacy exchange', async function () {
    await request(`${h.proxy.url}/api/v1/ml/models`, { headers: { 'x-api-key': 'k' } });
    await eventually(() => assert.ok(log[0]?.events.includes('responseEnd')));
    assert.deepEqual([log[0].start.decision.target, log[0].start.decision.shadow], ['legacy', true]);
  });

  it('aborts with "candidate-status_5xx" when the candidate fails and legacy answers instead', async function () {
    h.candidate.behaviour = 'fail-500';
    const res = await request(`${h.proxy.url}/api/v1/ml/predict`, { body: { a: 1 } });
    assert.equal(res.json.upstream, 'legacy');
    assert.deepEqual(log[0].events, ['requestEnd', 'abort candidate-status_5xx']);
  });

  it('aborts with "upstream-timeout" when the answer is a 504', async function () {
    h.candidate.behaviour = 'hang';
    const res = await request(`${h.proxy.url}/write`, { body: { a: 1 } });
    assert.equal(res.status, 504);
    assert.deepEqual(log[0].events, ['requestEnd', 'abort upstream-timeout']);
  });

  it('aborts with "client-abort" when the client goes away mid-response', async function () {
    await new Promise<void>((resolve) => {
      const req = http.get(`${h.proxy.url}/slow`, { agent: false }, (res) => res.once('data', () => (req.destroy(), resolve())));
      req.on('error', () => undefined);
    });
    await eventually(() => assert.deepEqual(log[0]?.events, ['requestEnd', 'response 200 application/octet-stream', 'abort client-abort']));
  });
});
