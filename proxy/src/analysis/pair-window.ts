/**
 * The sliding window of recent pairs per route that the judge reads: at most `maxPairs` pairs,
 * none older than `windowMs`. Time is passed in, never read, so tests drive it with a fake clock:
 *
 *   windows.add('ml-predict', sample, 1_000)
 *   windows.snapshot('ml-predict', 11_000)   // pairs added after t = 1_000 (windowMs 10_000)
 *
 * Memory is a fixed ring per route; adding is O(1) on the hot path.
 */
import type { PairSample } from './judge.js';

export interface PairWindowOptions {
  readonly windowMs: number;
  readonly maxPairs: number;
}

class Ring {
  readonly samples: (PairSample | undefined)[];
  readonly times: Float64Array;
  next = 0;
  size = 0;
  /** Pairs ever added (so a tick can tell whether anything new arrived). */
  added = 0;

  constructor(capacity: number) {
    this.samples = new Array<PairSample | undefined>(capacity);
    this.times = new Float64Array(capacity);
  }
}

export class PairWindows {
  private readonly rings = new Map<string, Ring>();

  constructor(private readonly options: PairWindowOptions) {
    if (!(options.maxPairs >= 1) || !(options.windowMs > 0)) throw new RangeError('PairWindows needs maxPairs ≥ 1 and windowMs > 0');
  }

  get windowMs(): number {
    return this.options.windowMs;
  }

  add(routeId: string, sample: PairSample, atMs: number): void {
    let ring = this.rings.get(routeId);
    if (!ring) {
      ring = new Ring(this.options.maxPairs);
      this.rings.set(routeId, ring);
    }
    ring.samples[ring.next] = sample;
    ring.times[ring.next] = atMs;
    ring.next = (ring.next + 1) % ring.samples.length;
    ring.size = Math.min(ring.size + 1, ring.samples.length);
    ring.added++;
  }

  /** The pairs of the last `windowMs` before `nowMs`, oldest first. */
  snapshot(routeId: string, nowMs: number): PairSample[] {
    const ring = this.rings.get(routeId);
    if (!ring) return [];
    const cap = ring.samples.length;
    const out: PairSample[] = [];
    const from = nowMs - this.options.windowMs;
    for (let i = 0; i < ring.size; i++) {
      const idx = (ring.next - ring.size + i + cap) % cap;
      if (ring.times[idx] > from) out.push(ring.samples[idx]!);
    }
    return out;
  }

  /** How many pairs were ever added for the route. */
  added(routeId: string): number {
    return this.rings.get(routeId)?.added ?? 0;
  }

  /** Forget the route's pairs (after a rollback or a resume, old evidence must not count again). */
  clear(routeId: string): void {
    const ring = this.rings.get(routeId);
    if (!ring) return;
    ring.samples.fill(undefined);
    ring.size = 0;
    ring.next = 0;
  }

  routeIds(): string[] {
    return [...this.rings.keys()];
  }
}
