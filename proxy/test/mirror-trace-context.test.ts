/**
 * The mirror continues the exchange's trace context even with tracing off: the candidate's shadow
 * copy carries the same W3C `traceparent` as the request that served the client, so logs of both
 * sides correlate (with tracing on, the mirror gets a child span of the proxy's: compose/test).
 */
import assert from 'node:assert/strict';
import { eventually, http } from '@smp/platform/testkit';
import { features } from './support/flag-features.js';
import { startHarness, type Harness } from './support/proxy-harness.js';

const BODY = { model_name: 'm', features: { a: 1 } };
const CLIENT_TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('proxy: the mirror carries the traceparent the serving request carried', function () {
  this.timeout(30_000);
  let h: Harness | undefined;
  afterEach(async function () {
    await h?.close();
    h = undefined;
  });

  for (const [what, sent] of [['a generated one when the client sent none', undefined], ["the client's when valid", CLIENT_TP]] as const) {
    it(`${what}`, async function () {
      // Shadowing on (the product's extension), no database: mirrors without recording.
      h = await startHarness({ flags: features({ 'migrate.predict.shadow': 100 }), hooks: { extend: undefined } });
      const res = await http(`${h.proxy.url}/api/v1/ml/predict`, { body: BODY, headers: sent === undefined ? {} : { traceparent: sent } });
      assert.equal(res.status, 200);
      const served = h.legacy.seen.find((r) => r.url === '/api/v1/ml/predict');
      assert.ok(served);
      const tp = served.headers.traceparent as string;
      assert.match(tp, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      if (sent !== undefined) assert.equal(tp, sent);
      const mirrored = await eventually(() => {
        const m = h!.candidate.seen.find((r) => r.headers['x-shadow-request'] === '1');
        assert.ok(m, 'no mirror yet');
        return m;
      });
      assert.equal(mirrored.headers.traceparent, tp);
    });
  }
});
