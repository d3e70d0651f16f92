/**
 * The mirror's own HTTP client on the shadow worker: separate keep-alive undici pools (a slow
 * candidate can never take connections from the serving path), a hard timeout per mirrored
 * request and a capped copy of the answer. It has no budget of its own: the serving thread's
 * (ShadowLink, SHADOW_MAX_IN_FLIGHT exchanges) bounds what reaches it, at most two requests per
 * exchange (the mirror and, when calibrating, legacy's second answer).
 *
 *   const cancel = mirror.send({ origin, path, method, headers, body }, (observation) => …)
 *
 * Raw dispatch handlers (no Readable per response) keep the mirror cheap on the event loop.
 * With a tracer, each mirrored request is a client span continuing the request's `traceparent`
 * (the proxy's server span), and its own id goes out as the `traceparent` the candidate continues.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { endSpan, startSpan, traceparentOf, withTraceparent, type Tracer } from '@smp/platform';
import type { Observation } from '../compare/comparator.js';
import type { MirrorRequest, MirrorSettings } from '../shadow/worker-protocol.js';

/** Bounded error labels for an observation without an answer. */
export function errorKind(err: Error): string {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || err.name === 'TimeoutError') return 'timeout';
  if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') return 'connect';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  if (code === 'UND_ERR_ABORTED' || err.name === 'AbortError') return 'aborted';
  return 'error';
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}
class CancelledError extends Error {
  override readonly name = 'AbortError';
}

class MirrorHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private status: number | null = null;
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;
  private finished = false;
  private abortReason: Error | null = null;
  /** Reset when the request is written on a connection: the candidate's time, not our pool's queue (attempt.ts `wireMs`). */
  private started = process.hrtime.bigint();
  readonly timer: NodeJS.Timeout;

  constructor(
    private readonly cap: number,
    timeoutMs: number,
    private readonly done: (o: Observation) => void,
  ) {
    // The deadline is judged after the loop has read what already arrived: timers run before the
    // poll phase, so an answer waiting in the socket while this thread lagged is read first (by the
    // time the immediate runs) and is not taken for a timeout.
    this.timer = setTimeout(() => setImmediate(() => this.abort(new TimeoutError('mirror timeout'))), timeoutMs);
  }

  abort(reason: Error): void {
    if (this.finished) return;
    this.abortReason = reason;
    if (this.controller) this.controller.abort(reason);
    else this.finish(null, errorKind(reason));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    this.started = process.hrtime.bigint();
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.truncated) return;
    if (this.size + chunk.length > this.cap) {
      this.truncated = true;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    this.finish(this.status, null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.finish(null, errorKind(this.abortReason ?? err));
  }

  private finish(status: number | null, error: string | null): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.timer);
    const latencyMs = Number(process.hrtime.bigint() - this.started) / 1e6;
    this.done(
      Object.freeze({
        status,
        error,
        latencyMs,
        headers: status === null ? {} : this.headers,
        body: status === null ? EMPTY : this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size),
        truncated: this.truncated,
      }),
    );
  }
}

const EMPTY = Buffer.alloc(0);

export class MirrorClient {
  private readonly pools = new Map<string, Pool>();
  private closed = false;

  constructor(
    private readonly options: MirrorSettings,
    private readonly tracer: Tracer | null = null,
  ) {}

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.options.connections,
        connect: { timeout: this.options.connectTimeoutMs },
        pipelining: 1,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Send one mirrored request; `done` is called exactly once with what came back. Returns a cancel function. */
  send(request: MirrorRequest, done: (observation: Observation) => void): () => void {
    let headers = request.headers;
    const span = this.tracer === null ? null : this.mirrorSpan(request);
    if (span !== null) headers = withTraceparent(headers, traceparentOf(span));
    const handler = new MirrorHandler(this.options.bodyCap, this.options.timeoutMs, (o) => {
      if (span !== null) {
        span.setAttribute('mirror.outcome', o.error ?? 'answered');
        endSpan(span, o.status ?? 0);
      }
      done(o);
    });
    if (this.closed) {
      handler.abort(new CancelledError('mirror client closed'));
      return () => undefined;
    }
    try {
      this.pool(request.origin).dispatch(
        { origin: request.origin, path: request.path, method: request.method as Dispatcher.HttpMethod, headers, body: request.body },
        handler,
      );
    } catch (err) {
      handler.abort(err as Error);
    }
    return () => handler.abort(new CancelledError('mirror cancelled'));
  }

  private mirrorSpan(request: MirrorRequest) {
    const at = request.headers.indexOf('traceparent');
    return startSpan(this.tracer!, `mirror ${request.method}`, 'client', at === -1 ? '' : request.headers[at + 1], { 'http.request.method': request.method, 'server.address': request.origin });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((p) => p.destroy().catch(() => undefined)));
    this.pools.clear();
  }
}
