/**
 * Distributed tracing across the stack: with OTEL_EXPORTER_OTLP_ENDPOINT pointing at an OTLP/HTTP
 * receiver started here, one client request through the proxy, on a route served by the monolith
 * and mirrored in full to its candidate (the real anomaly service), yields one trace that
 * continues the client's `traceparent` and holds, parent to child:
 *
 *   client span (the test's traceparent)
 *   └ proxy      SERVER "POST ml-drift"
 *     ├ proxy    CLIENT "upstream legacy" ─► legacy-monolith SERVER "POST /api/v1/ml/check_drift" ─► CLIENT "pg SELECT"…
 *     └ proxy    CLIENT "mirror POST"     ─► anomaly-service SERVER "POST /api/v1/ml/check_drift" ─► CLIENT "pg SELECT"…
 */
import assert from 'node:assert/strict';
import { eventually, http } from '@smp/platform/testkit';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js';
import { startStack, type Stack } from './support/stack.js';

const SERVER = 2;
const CLIENT = 3;
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

describe('compose: one client request is one trace across proxy, mirror and services', function () {
  this.timeout(120_000);
  let receiver: OtlpReceiver;
  let stack: Stack;

  before(async function () {
    receiver = await startOtlpReceiver();
    stack = await startStack({ live: 0, shadow: 100, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
  });
  after(async function () {
    await stack?.close();
    await receiver?.close();
  });

  it('proxy server span -> upstream span -> monolith handler -> pg, and proxy -> mirror span -> anomaly-service handler -> pg', async function () {
    const res = await stack.client('POST', '/api/v1/ml/check_drift', { sensor_id: 'pump-7' }, { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
    assert.ok(res.status < 500, `check_drift answered ${res.status}`);

    const find = (spans: ReceivedSpan[], service: string, kind: number, name: RegExp, parent: string) => spans.find((s) => s.service === service && s.kind === kind && name.test(s.name) && s.parentSpanId === parent);
    const spans = await eventually(() => {
      const t = receiver.trace(CLIENT_TRACE);
      const proxy = find(t, 'proxy', SERVER, /^POST ml-drift$/, CLIENT_SPAN);
      assert.ok(proxy, 'proxy server span');
      const upstream = find(t, 'proxy', CLIENT, /^upstream legacy$/, proxy.spanId);
      assert.ok(upstream, 'proxy upstream span');
      const mirror = find(t, 'proxy', CLIENT, /^mirror POST$/, proxy.spanId);
      assert.ok(mirror, 'mirror span');
      const legacy = find(t, 'legacy-monolith', SERVER, /^POST \/api\/v1\/ml\/check_drift$/, upstream.spanId);
      assert.ok(legacy, 'monolith handler span');
      const candidate = find(t, 'anomaly-service', SERVER, /^POST \/api\/v1\/ml\/check_drift$/, mirror.spanId);
      assert.ok(candidate, 'anomaly-service handler span');
      assert.ok(find(t, 'legacy-monolith', CLIENT, /^pg /, legacy.spanId), 'monolith db span');
      assert.ok(find(t, 'anomaly-service', CLIENT, /^pg /, candidate.spanId), 'anomaly-service db span');
      return t;
    }, 20_000, 100);

    // One trace: every span of the request hangs off another span of it (or the client's).
    const ids = new Set([CLIENT_SPAN, ...spans.map((s) => s.spanId)]);
    for (const s of spans) assert.ok(ids.has(s.parentSpanId), `${s.service} "${s.name}" has a parent outside the trace`);
    const db = spans.filter((s) => s.name.startsWith('pg '));
    for (const s of db) assert.equal(s.attributes['db.system.name'], 'postgresql');
    assert.equal(receiver.rejected, 0);
    console.log(`      trace ${CLIENT_TRACE}: ${spans.length} spans: ${spans.map((s) => `${s.service}:${s.name}`).sort().join(', ')}`);
  });

  it('a request without traceparent starts its own trace at the proxy, shared by upstream and mirror', async function () {
    const before = new Set(receiver.spans.map((s) => s.traceId));
    await stack.client('POST', '/api/v1/ml/check_drift', { sensor_id: 'pump-8' });
    const proxySpan = await eventually(() => {
      const s = receiver.spans.find((x) => x.service === 'proxy' && x.kind === SERVER && !before.has(x.traceId));
      assert.ok(s, 'a new proxy server span');
      assert.equal(s.parentSpanId, '');
      const t = receiver.trace(s.traceId);
      assert.ok(t.some((x) => x.service === 'legacy-monolith' && x.kind === SERVER), 'monolith joined the trace');
      assert.ok(t.some((x) => x.service === 'anomaly-service' && x.kind === SERVER), 'anomaly-service joined the trace');
      assert.ok(t.some((x) => x.service === 'proxy' && x.name.startsWith('mirror ')), 'the mirror joined the trace');
      return s;
    }, 20_000, 100);
    assert.match(proxySpan.traceId, /^[0-9a-f]{32}$/);
  });

  it('health probes and metric scrapes leave no spans (the monolith\'s /health queries PostgreSQL)', async function () {
    const count = receiver.spans.length;
    // Spans of traces begun by earlier tests (a mirror's span is exported by the shadow worker's own
    // batch processor, a little later) are not the probes'.
    const earlier = new Set(receiver.spans.map((s) => s.traceId));
    for (const service of ['legacy-monolith', 'anomaly-service', 'prediction-service'] as const) {
      assert.equal((await http(`${stack.urls[service]}/health`)).status, 200);
      await stack.metrics(service);
    }
    // Three export intervals of the batch processors (200 ms each).
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual(
      receiver.spans
        .slice(count)
        .filter((s) => !earlier.has(s.traceId))
        .map((s) => `${s.service}:${s.name}`),
      [],
    );
  });
});
