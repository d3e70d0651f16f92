/**
 * A circuit breaker per candidate upstream, so a failing new service stops getting traffic by
 * itself:
 *   closed     traffic flows; `threshold` consecutive failures open it
 *   open       no traffic (legacy serves) for `openMs`
 *   half-open  exactly one probe request goes through; success closes, failure reopens
 * Every acquired request must end in exactly one of success(), failure() or release() (the probe
 * was cancelled without a verdict, e.g. the client went away). The clock is injected.
 *
 *   const b = new CircuitBreaker({ threshold: 5, openMs: 10_000, now: () => Date.now() });
 *   if (b.tryAcquire()) { send to candidate; ok ? b.success() : b.failure(); } else { send to legacy }
 */

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  threshold: number;
  openMs: number;
  now: () => number;
  onStateChange?: (from: BreakerState, to: BreakerState) => void;
}

/** A breaker's state as shown on the admin port. */
export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  openedAt: string | null;
  /** When an open breaker lets its next probe through. */
  retryAt: string | null;
  opens: number;
}

export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private opens = 0;

  constructor(private readonly options: BreakerOptions) {}

  get current(): BreakerState {
    return this.state;
  }

  /** May one request go to the candidate now? In half-open, true for the single probe only. */
  tryAcquire(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (this.options.now() - this.openedAt < this.options.openMs) return false;
      this.move('half-open');
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    if (this.state === 'half-open') {
      this.probing = false;
      this.failures = 0;
      this.move('closed');
    } else if (this.state === 'closed') this.failures = 0;
    // A late answer from before the breaker opened says nothing about the candidate now.
  }

  failure(): void {
    if (this.state === 'half-open') {
      this.probing = false;
      this.open();
    } else if (this.state === 'closed') {
      this.failures += 1;
      if (this.failures >= this.options.threshold) this.open();
    }
  }

  /** The acquired request ended without a verdict. */
  release(): void {
    if (this.state === 'half-open') this.probing = false;
  }

  snapshot(): BreakerSnapshot {
    const open = this.state === 'open';
    return {
      state: this.state,
      consecutiveFailures: this.failures,
      openedAt: this.state === 'closed' ? null : new Date(this.openedAt).toISOString(),
      retryAt: open ? new Date(this.openedAt + this.options.openMs).toISOString() : null,
      opens: this.opens,
    };
  }

  private open(): void {
    this.openedAt = this.options.now();
    this.opens += 1;
    this.move('open');
  }

  private move(to: BreakerState): void {
    const from = this.state;
    this.state = to;
    if (from !== to) this.options.onStateChange?.(from, to);
  }
}

/** One breaker per candidate upstream name, made on first use. */
export class BreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(private readonly options: Omit<BreakerOptions, 'onStateChange'> & { onStateChange?: (upstream: string, from: BreakerState, to: BreakerState) => void }) {}

  for(upstream: string): CircuitBreaker {
    let breaker = this.breakers.get(upstream);
    if (breaker === undefined) {
      const { onStateChange, ...rest } = this.options;
      breaker = new CircuitBreaker({ ...rest, onStateChange: onStateChange ? (from, to) => onStateChange(upstream, from, to) : undefined });
      this.breakers.set(upstream, breaker);
    }
    return breaker;
  }

  snapshot(): Record<string, BreakerSnapshot> {
    return Object.fromEntries([...this.breakers].map(([name, b]) => [name, b.snapshot()]));
  }

  entries(): IterableIterator<[string, CircuitBreaker]> {
    return this.breakers.entries();
  }
}
