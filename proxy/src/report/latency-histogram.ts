/**
 * Log-bucket latency histograms: mergeable by adding counts, so per-minute rollups can be summed
 * over any period and still give p50/p95/p99. Bucket i holds latencies in
 * (BASE·GROWTH^(i−1), BASE·GROWTH^i] ms with BASE = 0.05 ms and GROWTH = 1.2, up to ~90 s; a quantile
 * is read at the geometric middle of its bucket, so it is within ±10% of the exact value.
 *
 *   const h = emptyHistogram(); record(h, 3.2); record(h, 40);
 *   histogramQuantile(h, 0.99)   // ≈ 40
 */

const BASE_MS = 0.05;
const GROWTH = 1.2;
export const HISTOGRAM_BUCKETS = 80;
const LOG_GROWTH = Math.log(GROWTH);

export function emptyHistogram(): number[] {
  return new Array<number>(HISTOGRAM_BUCKETS).fill(0);
}

export function bucketOf(ms: number): number {
  if (!(ms > BASE_MS)) return 0;
  const i = Math.ceil(Math.log(ms / BASE_MS) / LOG_GROWTH - 1e-9);
  return Math.min(HISTOGRAM_BUCKETS - 1, i);
}

export function record(histogram: number[], ms: number): void {
  histogram[bucketOf(ms)]++;
}

/** The q-quantile in ms, or null for an empty histogram. */
export function histogramQuantile(histogram: readonly number[], q: number): number | null {
  let total = 0;
  for (const c of histogram) total += c;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= rank) {
      if (i === 0) return BASE_MS;
      const upper = BASE_MS * GROWTH ** i;
      return Number((upper / Math.sqrt(GROWTH)).toPrecision(3));
    }
  }
  return null;
}
