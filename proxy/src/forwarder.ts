/**
 * The hot path: one client request, routed, split, forwarded, answered.
 *
 *   route table (where?) -> splitter (who?) -> body read (capped buffer) -> undici Pool.dispatch
 *     -> response head/chunks streamed to the client as they come (backpressure both ways)
 *
 * Forwarding uses undici's raw dispatch handler (no Readable per response, raw header lists) and
 * Node's `writeHead(status, [name, value, …])`. On an idempotent route a candidate that fails before
 * answering (connect error, timeout, 5xx head) is not shown to the client: the same request, body
 * replayed from the buffer, goes to legacy (a fallback). A client that goes away aborts the
 * upstream request. Unused seams cost one null check: `tap` for observers, `gate` inside the splitter,
 * `tracer` for spans (exchange-trace.ts).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { endSpan, requestIdFrom, type Logger, type Span, type Tracer } from '@smp/platform';
import { mirrorTraceparent, traceExchange, type ExchangeTrace } from './exchange-trace.js';
import type { ExchangeObserver, ExchangeStart, ExchangeTap, RouteDecision, Target } from './exchange.js';
import type { RouteMetrics, ProxyMetrics } from './proxy-metrics.js';
import { rewritePath, type Route } from './routing/route-table.js';
import type { RouteSource } from './routing/route-source.js';
import type { Splitter } from './split/splitter.js';
import type { BreakerRegistry } from './upstream/circuit-breaker.js';
import { clientResponseHeaders, contentLength, endToEndHeaders, headersObject, upstreamRequestHeaders } from './upstream/forward-headers.js';
import { readRequestBody, type RequestBody } from './upstream/request-body.js';
import { newRequestId } from './upstream/trace-context.js';
import { classifyError, replyFor, type FailureKind } from './upstream/upstream-error.js';
import type { UpstreamPools } from './upstream/upstream-pools.js';

export interface ForwarderDeps {
  routes: RouteSource;
  splitter: Splitter;
  pools: UpstreamPools;
  breakers: BreakerRegistry;
  metrics: ProxyMetrics;
  tap: ExchangeTap | null;
  logger: Logger;
  /** Bodies up to this many bytes are buffered (and can be replayed on fallback). */
  bodyCap: number;
  /** Null or absent: no spans. */
  tracer?: Tracer | null;
}

/** The request listener of the public port. */
export function createForwarder(deps: ForwarderDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const accessLog = deps.logger.isLevelEnabled('http');
  const tracer = deps.tracer ?? null;
  return (req, res) => {
    const startedAt = process.hrtime.bigint();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const method = req.method ?? 'GET';
    const route = deps.routes.current.match(method, q === -1 ? url : url.slice(0, q));
    const clientIp = req.socket.remoteAddress;
    const decision = deps.splitter.decide(route, req.headers, clientIp);
    // The client's id when it sent one; else a new UUID, as requestIdFrom would make, but cheaper.
    const requestId = req.headers['x-request-id'] === undefined ? newRequestId() : requestIdFrom(req.headers);
    const headers = upstreamRequestHeaders(req, { requestId, clientIp });
    const trace = traceExchange(tracer, method, route.id, req.headers.traceparent);
    let observer: ExchangeObserver | null = null;
    if (deps.tap !== null) {
      try {
        observer = deps.tap.begin(new TapStart(decision, method, url, req, requestId, startedAt, headers, trace));
      } catch (err) {
        deps.logger.warn('exchange tap failed to begin; request served without it', { correlation_id: requestId, error: (err as Error).message });
      }
    }
    new ClientExchange(deps, accessLog, req, res, route, decision, requestId, headers, observer, startedAt, trace).start();
  };
}

/** What the tap sees of a request; the header copy is built only if the tap looks (most requests are not observed). */
class TapStart implements ExchangeStart {
  // #private: no own enumerable property for a tap that logs or serialises the start.
  readonly #req: IncomingMessage;
  #headers: IncomingHttpHeaders | undefined = undefined;
  readonly #trace: ExchangeTrace | null;

  constructor(
    readonly decision: RouteDecision,
    readonly method: string,
    readonly url: string,
    req: IncomingMessage,
    readonly requestId: string,
    readonly startedAt: bigint,
    readonly upstreamHeaders: readonly string[],
    trace: ExchangeTrace | null,
  ) {
    this.#req = req;
    this.#trace = trace;
  }

  /** The mirror continues the proxy's trace (computed only for the requests a tap mirrors). */
  get traceparent(): string {
    return mirrorTraceparent(this.#trace, this.upstreamHeaders);
  }

  get headers(): IncomingHttpHeaders {
    return (this.#headers ??= endToEndHeaders(this.#req.headers));
  }
}

/** The client connection's 'close' listener, shared: the exchange rides on the response object. */
const EXCHANGE = Symbol('proxy exchange');
type TrackedResponse = ServerResponse & { [EXCHANGE]?: ClientExchange };
function onResponseClose(this: TrackedResponse): void {
  this[EXCHANGE]?.clientClosed();
}

/** One attempt at one upstream (the first one, or the legacy fallback): undici's dispatch handler. */
class Attempt implements Dispatcher.DispatchHandler {
  cancelled = false;
  sentAt = process.hrtime.bigint();
  /** The upstream's status, once its head came. */
  status = 0;
  private abortFn: ((err?: Error) => void) | null = null;

  constructor(
    private readonly exchange: ClientExchange,
    readonly side: Target,
    private span: Span | null,
  ) {}

  cancel(): void {
    this.cancelled = true;
    this.endSpan(this.status);
    this.abortFn?.();
  }

  endSpan(status: number, err?: Error): void {
    if (this.span !== null) endSpan(this.span, status, err);
    this.span = null;
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.cancelled) abort();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.cancelled) return false;
    if (statusCode >= 200) this.status = statusCode;
    return this.exchange.head(this, statusCode, rawHeaders, resume, statusText);
  }

  onData(chunk: Buffer): boolean {
    if (this.cancelled) return false;
    return this.exchange.chunk(chunk);
  }

  onComplete(): void {
    if (!this.cancelled) this.exchange.end(this);
  }

  onError(err: Error): void {
    if (!this.cancelled) this.exchange.fail(this, err);
  }
}

class ClientExchange {
  private body: RequestBody | null = null;
  private attempt: Attempt | null = null;
  /** The response head went to the client: no fallback, no error page any more. */
  private committed = false;
  /** Counted and logged: nothing more to do. */
  private done = false;
  private clientGone = false;
  /** The splitter acquired a breaker permit for the candidate that is not settled yet. */
  private breakerPending: boolean;
  private status = 0;
  private resume: (() => void) | null = null;
  /** The response's Content-Length, or -1. */
  private expectedLength = -1;
  /** A complete body held for a single write at the end. */
  private whole: Buffer | null = null;
  private readonly metrics: RouteMetrics;

  constructor(
    private readonly deps: ForwarderDeps,
    private readonly accessLog: boolean,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly route: Route,
    private readonly decision: RouteDecision,
    private readonly requestId: string,
    private readonly headers: string[],
    private observer: ExchangeObserver | null,
    private readonly startedAt: bigint,
    private readonly trace: ExchangeTrace | null,
  ) {
    this.breakerPending = decision.target === 'candidate';
    this.metrics = deps.metrics.forRoute(route.id);
  }

  start(): void {
    (this.res as TrackedResponse)[EXCHANGE] = this;
    this.res.on('close', onResponseClose);
    readRequestBody(this.req, this.deps.bodyCap, this.observer, (err, body) => {
      if (err !== null) {
        this.clientClosed();
        return;
      }
      this.body = body;
      if (!this.clientGone) this.send(this.decision.target);
    });
  }

  head(attempt: Attempt, status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    // Interim answers (103 Early Hints…) are not relayed; `Expect` is never sent upstream.
    if (status < 200) return true;
    if (attempt.side === 'candidate') {
      if (status >= 500) {
        this.candidateFailed('status_5xx');
        if (this.canFallback()) {
          attempt.cancel();
          this.fallback('status_5xx');
          return false;
        }
      } else this.settleBreaker(true);
    }
    const headers = clientResponseHeaders(raw);
    try {
      if (statusText) this.res.writeHead(status, statusText, headers);
      else this.res.writeHead(status, headers);
    } catch (err) {
      // Node refuses header values it cannot send; the client gets a 502, not a broken reply.
      attempt.cancel();
      this.fail(attempt, err as Error);
      return false;
    }
    this.committed = true;
    this.status = status;
    this.resume = resume;
    this.expectedLength = contentLength(headers);
    this.observer?.response(status, headersObject(headers));
    return true;
  }

  chunk(chunk: Buffer): boolean {
    this.observer?.responseChunk(chunk);
    if (this.whole === null && chunk.length === this.expectedLength) {
      // The whole body in one chunk: the parser completes the message right after this call, and
      // res.end(body) sends head and body in one write instead of two.
      this.whole = chunk;
      return true;
    }
    if (this.res.write(chunk)) return true;
    this.res.once('drain', this.resume!);
    return false;
  }

  end(attempt: Attempt): void {
    if (this.whole !== null) this.res.end(this.whole);
    else this.res.end();
    attempt.endSpan(attempt.status);
    const seconds = Number(process.hrtime.bigint() - attempt.sentAt) / 1e9;
    this.metrics.observe(attempt.side, seconds);
    this.observer?.responseEnd(seconds * 1000);
    this.conclude(attempt.side, this.status);
  }

  fail(attempt: Attempt, err: Error): void {
    if (this.clientGone) return;
    attempt.endSpan(attempt.status, err);
    const kind = classifyError(err);
    if (attempt.side === 'candidate') {
      this.candidateFailed(kind);
      if (this.canFallback()) {
        this.fallback(kind);
        return;
      }
    }
    const seconds = Number(process.hrtime.bigint() - attempt.sentAt) / 1e9;
    this.metrics.observe(attempt.side, seconds);
    this.observer?.abort(`upstream-${kind}`);
    this.observer = null;
    this.deps.logger.warn('upstream request failed', {
      correlation_id: this.requestId,
      route: this.route.id,
      target: attempt.side,
      code: (err as { code?: string }).code ?? err.name,
      error: err.message,
      committed: this.committed,
    });
    if (this.committed) {
      // Part of the answer is out: the only honest signal left is a cut connection.
      this.conclude(attempt.side, 0);
      this.res.destroy();
      return;
    }
    const reply = replyFor(kind);
    this.committed = true;
    this.res.writeHead(reply.status, ['content-type', 'application/json', 'content-length', String(reply.body.length), 'x-request-id', this.requestId]);
    this.res.end(reply.body);
    this.conclude(attempt.side, reply.status);
  }

  private send(side: Target): void {
    const route = this.route;
    const upstream = this.deps.pools.get(side === 'candidate' ? route.candidate!.name : route.legacy.name);
    let headers = this.headers;
    const variant = this.decision.variant;
    if (side === 'candidate' && variant !== undefined) {
      headers = headers.concat('x-migrate-variant', variant.name);
      if (variant.payload !== undefined) headers.push('x-migrate-variant-payload', variant.payload);
    }
    const body = this.body!;
    let span: Span | null = null;
    if (this.trace !== null) ({ span, headers } = this.trace.attempt(side, upstream.name, headers));
    const attempt = new Attempt(this, side, span);
    this.attempt = attempt;
    upstream.pool.dispatch(
      {
        path: upstream.basePath + rewritePath(route, side, this.req.url ?? '/'),
        method: (this.req.method ?? 'GET') as Dispatcher.HttpMethod,
        headers,
        body: body.kind === 'none' ? null : body.data,
        headersTimeout: side === 'candidate' ? route.timeouts.candidateHeadersMs : route.timeouts.headersMs,
        bodyTimeout: route.timeouts.bodyMs,
      },
      attempt,
    );
  }

  private canFallback(): boolean {
    return this.route.idempotent && !this.committed && !this.clientGone && this.body !== null && this.body.kind !== 'stream';
  }

  private fallback(kind: FailureKind): void {
    this.deps.metrics.fallback(this.route.id, kind);
    // The observer watched a candidate exchange that will not complete; the reason names why.
    this.observer?.abort(`candidate-${kind}`);
    this.observer = null;
    this.send('legacy');
  }

  private candidateFailed(kind: FailureKind): void {
    this.deps.metrics.candidateFailure(this.route.id, kind);
    this.settleBreaker(false);
  }

  private settleBreaker(success: boolean): void {
    if (!this.breakerPending) return;
    this.breakerPending = false;
    const breaker = this.deps.breakers.for(this.route.candidate!.name);
    if (success) breaker.success();
    else breaker.failure();
  }

  clientClosed(): void {
    if (this.done || this.res.writableFinished) return;
    this.clientGone = true;
    this.attempt?.cancel();
    if (this.breakerPending) {
      this.breakerPending = false;
      this.deps.breakers.for(this.route.candidate!.name).release();
    }
    this.observer?.abort('client-abort');
    this.observer = null;
    this.conclude(this.attempt?.side ?? this.decision.target, 0);
  }

  private conclude(side: Target, status: number): void {
    if (this.done) return;
    this.done = true;
    this.metrics.count(side, status);
    this.trace?.end(status);
    if (this.accessLog) {
      this.deps.logger.http('request', {
        correlation_id: this.requestId,
        method: this.req.method,
        route: this.route.id,
        target: side,
        reason: this.decision.reason,
        status: status === 0 ? 'aborted' : status,
        duration_ms: Math.round(Number(process.hrtime.bigint() - this.startedAt) / 1e3) / 1e3,
      });
    }
  }
}
