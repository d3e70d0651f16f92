/**
 * The proxy's spans for one client exchange (only when tracing is on: see platform tracing.ts):
 *
 *   client ── traceparent? ──► [proxy server span "POST ml-predict"]
 *                                ├─ [upstream client span "upstream legacy"] ── traceparent ──► legacy's handler span
 *                                └─ (shadow worker) [mirror client span] ──── traceparent ──► candidate's handler span
 *
 * The server span continues a valid client `traceparent` (else it starts the trace); each upstream
 * attempt (the first one, a fallback) is a client span whose id replaces the `traceparent` in the
 * upstream request headers, and the mirror continues `traceparent` (the server span's id).
 */
import { endSpan, startSpan, traceparentOf, withTraceparent, type Span, type Tracer } from '@smp/platform';
import type { Target } from './exchange.js';

export class ExchangeTrace {
  private readonly server: Span;

  constructor(
    private readonly tracer: Tracer,
    method: string,
    routeId: string,
    clientTraceparent: string | string[] | undefined,
  ) {
    this.server = startSpan(tracer, `${method} ${routeId}`, 'server', clientTraceparent ?? '', { 'http.request.method': method, 'proxy.route': routeId });
  }

  /** What a hop made on behalf of this exchange (the mirror) continues. */
  get traceparent(): string {
    return traceparentOf(this.server);
  }

  /** A span for one upstream attempt, and `headers` with its `traceparent` in place of the one they hold. */
  attempt(side: Target, upstream: string, headers: string[]): { span: Span; headers: string[] } {
    const span = startSpan(this.tracer, `upstream ${side}`, 'client', this.traceparent, { 'proxy.target': side, 'proxy.upstream': upstream });
    return { span, headers: withTraceparent(headers, traceparentOf(span)) };
  }

  end(status: number): void {
    endSpan(this.server, status);
  }
}

/** What the mirror continues: the server span when traced, else the `traceparent` sent upstream. */
export function mirrorTraceparent(trace: ExchangeTrace | null, upstreamHeaders: readonly string[]): string {
  if (trace !== null) return trace.traceparent;
  for (let i = 0; i < upstreamHeaders.length; i += 2) if (upstreamHeaders[i] === 'traceparent') return upstreamHeaders[i + 1];
  return '';
}

/** An ExchangeTrace when a tracer is given, else null (the hot path checks for null only). */
export function traceExchange(tracer: Tracer | null, method: string, routeId: string, clientTraceparent: string | string[] | undefined): ExchangeTrace | null {
  return tracer === null ? null : new ExchangeTrace(tracer, method, routeId, clientTraceparent);
}
