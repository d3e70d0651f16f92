/**
 * Distributed tracing with OpenTelemetry, linked across processes by the W3C `traceparent` header
 * (https://www.w3.org/TR/trace-context/) that the proxy already sends to every upstream.
 *
 *   const tracing = openTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, service: 'proxy' });
 *   const span = startSpan(tracing.tracer, 'POST /api/v1/ml/predict', 'server', req.headers.traceparent);
 *   headers.traceparent = traceparentOf(span);     // the next hop continues this trace
 *   endSpan(span, 200);
 *   await tracing.close();                         // flushes what is still queued
 *
 * Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then there is no provider and no context manager,
 * `tracer` is null, and each instrumented place costs one null check. On, an app gets its own
 * provider (so two services in one process keep their own `service.name`), a batch processor that
 * exports OTLP/HTTP JSON to `<endpoint>/v1/traces` every 200 ms and drops (never blocks) past 2,048
 * queued spans, and the process gets the AsyncLocalStorage context manager, so a database call
 * made while a request is handled becomes a child of that request's span.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

export type { Span, Tracer } from '@opentelemetry/api';

/** A process's tracing: `tracer` is null when tracing is off. */
export interface Tracing {
  readonly tracer: Tracer | null;
  /** Export what is queued, then stop. */
  close(): Promise<void>;
}

export interface TracingOptions {
  /** OTLP/HTTP base URL (`http://collector:4318`); unset: tracing off. */
  endpoint: string | undefined;
  /** The `service.name` resource attribute. */
  service: string;
  /** Export delay of the batch processor (ms). */
  scheduledDelayMs?: number;
  /** Export here instead of OTLP (tests: the SDK's InMemorySpanExporter); tracing is then on. */
  exporter?: SpanExporter;
}

export const TRACING_OFF: Tracing = Object.freeze({ tracer: null, close: async () => {} });

let contextManager: AsyncLocalStorageContextManager | null = null;

export function openTracing(options: TracingOptions): Tracing {
  if (options.endpoint === undefined && options.exporter === undefined) return TRACING_OFF;
  if (contextManager === null) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
  }
  const exporter = options.exporter ?? new OTLPTraceExporter({ url: `${options.endpoint!.replace(/\/+$/, '')}/v1/traces` });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.service }),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: options.scheduledDelayMs ?? 200, maxQueueSize: 2048 })],
  });
  const tracer = provider.getTracer('@smp/platform');
  let closed: Promise<void> | undefined;
  return {
    tracer,
    close: () => (closed ??= provider.shutdown().catch(() => {})),
  };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The context a valid `traceparent` names as remote parent; the root context otherwise. */
export function contextFromTraceparent(traceparent: string | string[] | undefined): Context {
  const m = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
  if (m === null || /^0+$/.test(m[1]) || /^0+$/.test(m[2])) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: m[1], spanId: m[2], traceFlags: parseInt(m[3], 16) & 1, isRemote: true });
}

const KINDS = { server: SpanKind.SERVER, client: SpanKind.CLIENT, internal: SpanKind.INTERNAL } as const;

/**
 * A span whose parent is the given `traceparent` (another process's span), or, without one, the
 * span active in this async context (none: a new trace).
 */
export function startSpan(tracer: Tracer, name: string, kind: keyof typeof KINDS, traceparent?: string | string[], attributes?: Attributes): Span {
  const parent = traceparent === undefined ? context.active() : contextFromTraceparent(traceparent);
  return tracer.startSpan(name, { kind: KINDS[kind], ...(attributes ? { attributes } : {}) }, parent);
}

/** The `traceparent` that makes the next hop a child of `span`. */
export function traceparentOf(span: Span): string {
  const sc = span.spanContext();
  return `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}`;
}

/** A copy of a flat [name, value, …] header list with its `traceparent` set to `value`. */
export function withTraceparent(headers: readonly string[], value: string): string[] {
  const out = headers.slice();
  for (let i = 0; i < out.length; i += 2) {
    if (out[i].toLowerCase() === 'traceparent') {
      out[i + 1] = value;
      return out;
    }
  }
  out.push('traceparent', value);
  return out;
}

/** Run `fn` with `span` active, so spans started inside (database calls) become its children. */
export function withSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** End an HTTP span: 5xx, a cut connection (status 0) or an error mark it failed. */
export function endSpan(span: Span, status: number, error?: Error): void {
  if (status > 0) span.setAttribute('http.response.status_code', status);
  if (error !== undefined) {
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  } else if (status === 0 || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
