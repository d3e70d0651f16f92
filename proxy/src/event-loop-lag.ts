/**
 * A thread's event-loop lag, watched by a timer every 5 ms: how late each tick fired is how long
 * an answer that arrived meanwhile could have waited in its socket before this thread read it.
 * Both sides of a pair are timed on event loops (legacy on the serving thread in shadow mode, the
 * candidate on the shadow worker), so a pair timed while either loop ran late reads slow for
 * reasons of our own, not the upstream's: on a CPU-saturated 2-core machine the worker's loop ran
 * up to tens of ms late, and an A/A candidate read > 1.5× slower than legacy in 15 blocks of 4 in a
 * row (the judge rolled a healthy candidate back). The judge therefore takes a pair's latencies
 * only when each side's worst lag during its measurement was small next to it (`timedCleanly`).
 *
 *   const lag = new EventLoopLag();
 *   lag.maxLagWithin(40)   // worst lateness (ms) of the ticks in the last 40 ms (+ one period)
 *
 * Kept as a ring of the last `HISTORY` ticks (2.5 s at 5 ms): reading it scans at most the ticks
 * inside the window; a tick is a subtraction and a store.
 */
import { performance } from 'node:perf_hooks';

const HISTORY = 512;

export class EventLoopLag {
  private readonly at = new Float64Array(HISTORY);
  private readonly lag = new Float64Array(HISTORY);
  private next = 0;
  private count = 0;
  private expected: number;
  private readonly timer: NodeJS.Timeout | null;

  constructor(
    private readonly intervalMs = 5,
    private readonly now: () => number = () => performance.now(),
    /** False in tests that drive `check()` with a fake clock. */
    timer = true,
  ) {
    this.expected = now() + intervalMs;
    this.timer = timer ? setInterval(() => this.check(), intervalMs) : null;
    this.timer?.unref();
  }

  /** One timer tick (public for tests with a fake clock). */
  check(): void {
    const t = this.now();
    this.at[this.next] = t;
    this.lag[this.next] = Math.max(0, t - this.expected);
    this.next = (this.next + 1) % HISTORY;
    if (this.count < HISTORY) this.count++;
    this.expected = t + this.intervalMs;
  }

  /**
   * The worst lateness (ms) of the ticks that fired within the last `windowMs`, plus one period
   * and the lateness itself (a tick that fired late covers the time it waited). Beyond the
   * history (2.5 s): Infinity, i.e. unknown.
   */
  maxLagWithin(windowMs: number): number {
    const now = this.now();
    // A tick still owed and overdue now is lag too (the loop is stuck in this very callback run).
    let worst = Math.max(0, now - this.expected);
    for (let k = 1; k <= this.count; k++) {
      const i = (this.next - k + HISTORY) % HISTORY;
      const firedAt = this.at[i];
      if (now - (firedAt - this.lag[i]) > windowMs + this.intervalMs) return worst;
      if (this.lag[i] > worst) worst = this.lag[i];
    }
    return this.count === HISTORY ? Infinity : worst;
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
  }
}

/**
 * Was a latency timed cleanly enough to be evidence? Its thread's worst lag during the measurement
 * must stay under a fifth of it, or under 1 ms (the timer's own jitter): a 40 ms answer may be read
 * up to 8 ms late, a 2 ms answer up to 1 ms. The judge's latency tests (ratio 1.5 by default) then
 * cannot be tipped by our own scheduling: at most 1.2× of the 1.5× is ours, and in A/A both sides
 * share the same bound.
 */
export function timedCleanly(latencyMs: number, lagMs: number): boolean {
  return lagMs <= Math.max(1, latencyMs / 5);
}
