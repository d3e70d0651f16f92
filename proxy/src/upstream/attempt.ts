/**
 * One attempt at one upstream (the first one, or the legacy fallback): undici's raw dispatch
 * handler, relaying to its owner (the client exchange) until cancelled. It remembers whether the
 * final head arrived, which tells a failure before the head from one after it.
 */
import type { Dispatcher } from 'undici';
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
  private abortFn: ((err?: Error) => void) | null = null;

  constructor(
    private readonly owner: AttemptOwner,
    readonly side: Target,
  ) {}

  cancel(): void {
    this.cancelled = true;
    this.abortFn?.();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortFn = abort;
    if (this.cancelled) abort();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (this.cancelled) return false;
    if (statusCode >= 200) this.headSeen = true;
    return this.owner.head(this, statusCode, rawHeaders, resume, statusText);
  }

  onData(chunk: Buffer): boolean {
    if (this.cancelled) return false;
    return this.owner.chunk(this, chunk);
  }

  onComplete(): void {
    if (!this.cancelled) this.owner.end(this);
  }

  onError(err: Error): void {
    if (!this.cancelled) this.owner.fail(this, err);
  }
}
