/**
 * The hot path: one client request, routed, split, forwarded, answered.
 *
 *   route table (where?) -> splitter (who?) -> body read (capped buffer) -> undici Pool.dispatch
 *     -> response head/chunks streamed to the client as they come (backpressure both ways)
 *
 * Forwarding uses undici's raw dispatch handler (no Readable per response, raw header lists) and
 * Node's `writeHead(status, [name, value, …])`. On an idempotent route the candidate's answer is held
 * whole (upstream/held-answer.ts, up to CANDIDATE_BUFFER_LIMIT_BYTES) before the client sees it, so
 * a candidate failing at any point (connect error, timeout, 5xx head, reset before or after its
 * head, truncated or stalled body, broken JSON) is not shown to the client: the same request, body
 * replayed from the buffer, goes to legacy (a fallback). Every such failure counts against the
 * candidate's breaker (a verdict at the end of its answer) and reaches the tap as
 * `candidate-<kind>`. A client that goes away aborts the upstream request. Unused seams cost one null check: `tap` for observers, `gate` inside the splitter,
 * `tracer` for spans (exchange-trace.ts).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { requestIdFrom, type Logger, type Span, type Tracer } from '@smp/platform';
import { mirrorTraceparent, traceExchange, type ExchangeTrace } from './exchange-trace.js';
import type { ExchangeObserver, ExchangeStart, ExchangeTap, RouteDecision, Target } from './exchange.js';
import type { RouteMetrics, ProxyMetrics } from './proxy-metrics.js';
import { rewritePath, type Route } from './routing/route-table.js';
import type { RouteSource } from './routing/route-source.js';
import type { Splitter } from './split/splitter.js';
import type { BreakerRegistry } from './upstream/circuit-breaker.js';
import { clientResponseHeaders, contentLength, endToEndHeaders, headersObject, upstreamRequestHeaders } from './upstream/forward-headers.js';
import { Attempt, type AttemptOwner } from './upstream/attempt.js';
import { answerDefect, HeldAnswer } from './upstream/held-answer.js';
import { readRequestBody, type RequestBody } from './upstream/request-body.js';
import { refusal, type RequestLimits } from './upstream/request-guard.js';
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
  /** Candidate answers up to this many bytes are held whole before the client gets them (idempotent routes). */
  answerCap: number;
  /** Requests over these are refused (request-guard.ts). */
  limits: RequestLimits;
}

/** The request listener of the public port. */
export function createForwarder(deps: ForwarderDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const accessLog = deps.logger.isLevelEnabled('http');
  const tracer = deps.tracer ?? null;
  return (req, res) => {
    // Shutting down, the server ended this keep-alive socket after its last answer, and the client
    // reused it at the same moment: this request can get no answer, so it must not go upstream.
    if (req.socket.writableEnded) {
      req.socket.destroy();
      return;
    }
    const refused = refusal(req, deps.limits);
    if (refused !== null) {
      res.writeHead(refused.status, ['content-type', 'application/json', 'content-length', String(refused.body.length), 'connection', 'close']);
      res.end(refused.body);
      return;
    }
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

class ClientExchange implements AttemptOwner {
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
  /** The candidate's answer, held until complete and checked (null: streaming, or not the candidate). */
  private held: HeldAnswer | null = null;
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
    }, this.deps.limits.bodyBytes);
  }

  head(attempt: Attempt, status: number, raw: Buffer[], resume: () => void, statusText: string): boolean {
    // Interim answers (103 Early Hints…) are not relayed; `Expect` is never sent upstream.
    if (status < 200) return true;
    if (attempt.side === 'candidate' && status >= 500) {
      this.candidateFailed('status_5xx');
      if (this.canFallback()) {
        attempt.cancel();
        this.fallback('status_5xx');
        return false;
      }
    }
    const headers = clientResponseHeaders(raw);
    this.resume = resume;
    if (attempt.side === 'candidate' && this.deps.answerCap > 0 && this.canFallback() && contentLength(headers) <= this.deps.answerCap) {
      this.held = new HeldAnswer(status, statusText, headers, this.deps.answerCap);
      return true;
    }
    return this.commitHead(attempt, status, statusText, headers);
  }

  /** The head goes to the client: from here on, no fallback. */
  private commitHead(attempt: Attempt, status: number, statusText: string, headers: string[]): boolean {
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
    this.expectedLength = contentLength(headers);
    this.observer?.response(status, headersObject(headers));
    return true;
  }

  chunk(attempt: Attempt, chunk: Buffer): boolean {
    const held = this.held;
    if (held !== null) {
      if (held.add(chunk)) return true;
      // Larger than the bound: stream from here, held bytes first; a failure now cuts the connection.
      this.held = null;
      if (!this.commitHead(attempt, held.status, held.statusText, held.headers)) return false;
      let flowing = true;
      for (const c of held.chunks) {
        this.observer?.responseChunk(c);
        flowing = this.res.write(c);
      }
      if (flowing) return true;
      this.res.once('drain', this.resume!);
      return false;
    }
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
    const held = this.held;
    if (held !== null) {
      this.held = null;
      const defect = answerDefect(this.req.method ?? 'GET', held);
      if (defect !== null) {
        attempt.endSpan(held.status, new Error(`candidate answer: ${defect}`));
        this.candidateFailed(defect);
        this.fallback(defect);
        return;
      }
      if (!this.commitHead(attempt, held.status, held.statusText, held.headers)) return;
      if (held.size > 0) {
        this.whole = held.body();
        this.observer?.responseChunk(this.whole);
      }
    }
    if (attempt.side === 'candidate') this.settleBreaker(true);
    if (this.whole !== null) this.res.end(this.whole);
    else this.res.end();
    attempt.endSpan(attempt.status);
    const ended = process.hrtime.bigint();
    this.metrics.observe(attempt.side, Number(ended - attempt.sentAt) / 1e9);
    this.observer?.responseEnd(attempt.wireMs(ended));
    this.conclude(attempt.side, this.status);
  }

  fail(attempt: Attempt, err: Error): void {
    if (this.clientGone) return;
    attempt.endSpan(attempt.status, err);
    this.held = null;
    const kind = classifyError(err, attempt.headSeen);
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
    const attempt = new Attempt(this, side, side === 'candidate' ? route.timeouts.candidateHeadersMs : 0, span);
    this.attempt = attempt;
    upstream.pool.dispatch(
      {
        path: upstream.basePath + rewritePath(route, side, this.req.url ?? '/'),
        method: (this.req.method ?? 'GET') as Dispatcher.HttpMethod,
        headers,
        body: body.kind === 'none' ? null : body.data,
        headersTimeout: side === 'candidate' ? route.timeouts.candidateHeadersMs : route.timeouts.headersMs,
        bodyTimeout: side === 'candidate' ? route.timeouts.candidateBodyMs : route.timeouts.bodyMs,
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
