/**
 * One attempt at one upstream (the first one, or the legacy fallback): undici's raw dispatch
 * handler, relaying to its owner (the client exchange) until cancelled. It remembers whether the
 * final head arrived, which tells a failure before the head from one after it.
 *
 * A `headDeadlineMs` bounds the wait for the head from dispatch, time queued for one of the pool's
 * connections included (undici's headersTimeout starts only once the request is written): a
 * hanging candidate that holds every connection must not hold the requests queued behind them.
 */
import type { Dispatcher } from 'undici';
import { endSpan, type Span } from '@smp/platform';
import type { Target } from '../exchange.js';

/** What an attempt reports to. */
export interface AttemptOwner {
  head(attempt: Attempt, status: number, raw: Buffer[], resume: () => void, statusText: string): boolean;
  chunk(attempt: Attempt, chunk: Buffer): boolean;
  end(attempt: Attempt): void;
  fail(attempt: Attempt, err: Error): void;
}

export class Attempt implements Dispatcher.DispatchHandler {
  cancelled = false;
  /** The final response head arrived: a failure now is a failure after the head. */
  headSeen = false;
  sentAt = process.hrtime.bigint();
  /** When undici wrote the request on a connection (after any wait for one): the upstream's own time starts here. */
  wiredAt: bigint | null = null;
  /** The upstream's status, once its head came. */
  status = 0;
  private abortFn: ((err?: Error) => void) | null = null;
  private deadline: NodeJS.Timeout | null = null;

  constructor(
    readonly owner: AttemptOwner,
    readonly side: Target,
    headDeadlineMs = 0,
    private span: Span | null = null,
  ) {
    if (headDeadlineMs > 0) this.deadline = setTimeout(headOverdue, headDeadlineMs, this);
  }

  /**
   * The upstream's answer time (ms): from the request written on a connection to now. The pair's
   * latency test compares the two upstreams, so neither side's wait for one of our pool's
   * connections counts (the mirror's pool is smaller than the serving one and queues under load).
   */
  wireMs(now: bigint): number {
    return Number(now - (this.wiredAt ?? this.sentAt)) / 1e6;
  }

  cancel(): void {
    this.cancelled = true;
    this.clearDeadline();
    this.endSpan(this.status);
    this.abortFn?.();
  }

  /** End the attempt's span (tracing on), once. */
  endSpan(status: number, err?: Error): void {
    if (this.span !== null) endSpan(this.span, status, err);
    this.span = null;
  }

  clearDeadline(): void {
    if (this.deadline !== null) {
      clearTimeout(this.deadline);
      this.deadline = null;
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    // Cancelled while queued for a connection (its deadline passed, a fallback is under way):
    // undici's abort() would destroy the idle keep-alive socket just handed to it, so that under a
    // stalling candidate every expired queued request cost a connection. A throw here makes undici
    // drop the request from its queue and keep the socket.
    if (this.cancelled) throw new AttemptCancelled();
    this.wiredAt = process.hrtime.bigint();
    this.abortFn = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.cancelled) return false;
    if (statusCode >= 200) {
      this.headSeen = true;
      this.status = statusCode;
      this.clearDeadline();
    }
    return this.owner.head(this, statusCode, rawHeaders, resume, statusText);
  }

  onData(chunk: Buffer): boolean {
    if (this.cancelled) return false;
    return this.owner.chunk(this, chunk);
  }

  onComplete(): void {
    this.clearDeadline();
    if (!this.cancelled) this.owner.end(this);
  }

  onError(err: Error): void {
    this.clearDeadline();
    if (!this.cancelled) this.owner.fail(this, err);
  }
}

/** Thrown to undici for an attempt cancelled before it got a connection (onError ignores it). */
class AttemptCancelled extends Error {
  constructor() {
    super('attempt cancelled before it was written');
  }
}

function headOverdue(attempt: Attempt): void {
  if (attempt.cancelled || attempt.headSeen) return;
  attempt.cancel();
  // The same code as undici's own head timeout: the same kind (timeout), the same 504 if it ends here.
  attempt.owner.fail(attempt, Object.assign(new Error('no response head within the deadline (queueing included)'), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
}
