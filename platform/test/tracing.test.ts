import assert from 'node:assert/strict';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { contextFromTraceparent, openTracing, TRACING_OFF, withTraceparent } from '../src/tracing.js';

describe('platform: tracing', function () {
  it('without OTEL_EXPORTER_OTLP_ENDPOINT: no tracer, no provider, no context manager (the no-op API)', async function () {
    // Whether `with` carries a value into its callback tells which context manager is global (none
    // is, unless a test of this process turned tracing on before).
    const key = Symbol('k');
    const carries = () => context.with(ROOT_CONTEXT.setValue(key, 1), () => context.active().getValue(key) === 1);
    const before = carries();
    const tracing = openTracing({ endpoint: undefined, service: 'x' });
    assert.equal(tracing, TRACING_OFF);
    assert.equal(tracing.tracer, null);
    assert.equal(carries(), before);
    await tracing.close();
  });

  const cases: Array<[string, string | string[] | undefined, { traceId: string; spanId: string; traceFlags: number } | null]> = [
    ['a sampled parent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 }],
    ['a parent that was not sampled', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00', { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0 }],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', null],
    ['an all-zero span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', null],
    ['upper-case hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01', null],
    ['a repeated header', ['00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4737-00f067aa0ba902b7-01'], null],
    ['no header', undefined, null],
    ['an empty header', '', null],
  ];
  for (const [what, header, expected] of cases) {
    it(`contextFromTraceparent: ${what} -> ${expected === null ? 'a new trace' : 'its remote parent'}`, function () {
      const sc = trace.getSpanContext(contextFromTraceparent(header));
      if (expected === null) assert.equal(sc, undefined);
      else assert.deepEqual(sc, { ...expected, isRemote: true });
    });
  }

  it('withTraceparent replaces the header in a copy (any case), or appends it', function () {
    const headers = ['Host', 'a', 'TraceParent', 'old', 'x-request-id', 'r'];
    assert.deepEqual(withTraceparent(headers, 'new'), ['Host', 'a', 'TraceParent', 'new', 'x-request-id', 'r']);
    assert.deepEqual(headers[3], 'old');
    // A value that happens to read "traceparent" is not a name.
    assert.deepEqual(withTraceparent(['x-note', 'traceparent'], 'new'), ['x-note', 'traceparent', 'traceparent', 'new']);
  });
});
