/**
 * This thread's event-loop lag, watched by a timer every 5 ms: when it fires more than 5 ms late
 * the thread was starved (GC, CPU shared with other processes), and every latency timed on it
 * meanwhile reads slow for reasons of our own. The worker times the candidate in shadow mode, so
 * such pairs must not count as latency evidence against it (the in-proxy A/A tests on a busy
 * 2-core machine saw runs of 60+ pairs read > 1.5× slow without this).
 *
 *   const lag = new EventLoopLag();
 *   if (lag.laggedWithin(40)) …   // a stall in the last 40 ms: the 40 ms mirror was timed through it
 */
import { performance } from 'node:perf_hooks';

export class EventLoopLag {
  private lastLagAt = -Infinity;
  private expected: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly intervalMs = 5,
    private readonly thresholdMs = 5,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.expected = now() + intervalMs;
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  /** One timer tick (public for tests with a fake clock). */
  check(): void {
    const t = this.now();
    if (t - this.expected > this.thresholdMs) this.lastLagAt = t;
    this.expected = t + this.intervalMs;
  }

  /** Did the loop stall within the last `windowMs` (plus one timer period, the detection delay)? */
  laggedWithin(windowMs: number): boolean {
    return this.now() - this.lastLagAt <= windowMs + this.intervalMs;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
