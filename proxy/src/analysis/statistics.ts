/**
 * The statistics the judge uses, as pure functions (no clock, no global randomness):
 *
 *   wilsonInterval(3, 400, 0.95)          mismatch rate 0.75% with its 95% interval [0.26%, 2.2%]
 *   newcombeDifference(12, 400, 2, 400)   interval of (candidate error rate − legacy error rate)
 *   wilcoxonSignedRank([0.4, -0.1, …])    paired test on per-request differences (normal
 *                                         approximation with tie and continuity corrections)
 *   bootstrapQuantileRatio(a, b, {q: 0.95, seed: 7})  paired bootstrap interval of p95(b) / p95(a)
 */

/** Standard normal CDF Φ(x) (erfc by Chebyshev fit, |relative error| < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Inverse of Φ (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** A two-sided interval at a confidence level. */
export interface Interval {
  readonly estimate: number;
  readonly low: number;
  readonly high: number;
}

/** Wilson score interval for a proportion k/n; n = 0 gives the uninformative [0, 1]. */
export function wilsonInterval(k: number, n: number, confidence = 0.95): Interval {
  if (n <= 0) return { estimate: 0, low: 0, high: 1 };
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p = k / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + z2n);
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Newcombe's hybrid score interval for p1 − p2 from two Wilson intervals (method 10). */
export function newcombeDifference(k1: number, n1: number, k2: number, n2: number, confidence = 0.95): Interval {
  const a = wilsonInterval(k1, n1, confidence);
  const b = wilsonInterval(k2, n2, confidence);
  const diff = a.estimate - b.estimate;
  return {
    estimate: diff,
    low: diff - Math.sqrt((a.estimate - a.low) ** 2 + (b.high - b.estimate) ** 2),
    high: diff + Math.sqrt((a.high - a.estimate) ** 2 + (b.estimate - b.low) ** 2),
  };
}

/** Wilcoxon signed-rank on paired differences; zeros dropped (Wilcoxon's method). */
export interface WilcoxonResult {
  /** Non-zero differences used. */
  readonly n: number;
  readonly zeros: number;
  /** Sum of the ranks of positive differences. */
  readonly wPlus: number;
  /** Continuity-corrected z for H1 "median > 0". */
  readonly z: number;
  /** One-sided p for H1: the differences are typically positive. */
  readonly pGreater: number;
  /** One-sided p for H1: the differences are typically negative. */
  readonly pLess: number;
}

export function wilcoxonSignedRank(differences: readonly number[]): WilcoxonResult {
  const nonZero = differences.filter((d) => d !== 0 && Number.isFinite(d));
  const n = nonZero.length;
  const zeros = differences.length - n;
  if (n === 0) return { n, zeros, wPlus: 0, z: 0, pGreater: 1, pLess: 1 };
  const order = nonZero.map((d, i) => ({ a: Math.abs(d), pos: d > 0, i })).sort((x, y) => x.a - y.a);
  let wPlus = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && order[j + 1].a === order[i].a) j++;
    const t = j - i + 1;
    const rank = (i + j + 2) / 2; // average of ranks i+1 … j+1
    for (let k = i; k <= j; k++) if (order[k].pos) wPlus += rank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const mean = (n * (n + 1)) / 4;
  const variance = (n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48;
  if (variance <= 0) return { n, zeros, wPlus, z: 0, pGreater: 1, pLess: 1 };
  const sd = Math.sqrt(variance);
  const zGreater = (wPlus - mean - 0.5) / sd;
  const zLess = (wPlus - mean + 0.5) / sd;
  return { n, zeros, wPlus, z: zGreater, pGreater: 1 - normalCdf(zGreater), pLess: normalCdf(zLess) };
}

/** Quantile of an ascending array with linear interpolation (R type 7, numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Quantile of an unsorted array (copies, sorts). */
export function quantile(values: readonly number[], q: number): number {
  return quantileSorted(Float64Array.from(values).sort(), q);
}

/** A seeded PRNG in [0, 1) (mulberry32): the same seed gives the same bootstrap. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BootstrapOptions {
  readonly q: number;
  readonly iterations: number;
  readonly seed: number;
  readonly confidence: number;
}

/**
 * Paired bootstrap percentile interval of quantile_q(candidate) / quantile_q(control): the same
 * resampled request indices are used for both sides, so the pairing is kept.
 */
export function bootstrapQuantileRatio(control: readonly number[], candidate: readonly number[], options: BootstrapOptions): Interval {
  const n = Math.min(control.length, candidate.length);
  const ratio = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    const qa = quantileSorted(a, options.q);
    return qa > 0 ? quantileSorted(b, options.q) / qa : quantileSorted(b, options.q) > 0 ? Infinity : 1;
  };
  const estimate = ratio(Float64Array.from(control.slice(0, n)).sort(), Float64Array.from(candidate.slice(0, n)).sort());
  if (n < 2) return { estimate, low: estimate, high: estimate };
  const random = seededRandom(options.seed);
  const ratios = new Float64Array(options.iterations);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let it = 0; it < options.iterations; it++) {
    for (let i = 0; i < n; i++) {
      const j = Math.floor(random() * n);
      a[i] = control[j];
      b[i] = candidate[j];
    }
    a.sort();
    b.sort();
    ratios[it] = ratio(a, b);
  }
  ratios.sort();
  const alpha = 1 - options.confidence;
  return { estimate, low: quantileSorted(ratios, alpha / 2), high: quantileSorted(ratios, 1 - alpha / 2) };
}
