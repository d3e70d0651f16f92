/**
 * Two-sample, two-sided Kolmogorov–Smirnov test giving what `scipy.stats.ks_2samp(a, b,
 * method="auto")` gives (scipy 1.10): D = max |F_a − F_b| over the pooled values (ties handled as
 * searchsorted(side="right") does), and
 *
 * - when both samples have ≤ 10,000 values: the exact p-value, with D rounded to the lattice,
 *   h = round(D·lcm(n1, n2)), statistic h/lcm; from `probOutsideSquare` when n1 = n2, else
 *   `outerProbInside`; if that is not a probability, scipy falls back to the asymptotic form and
 *   so do we;
 * - otherwise (or on that fallback): `kstwo.sf(D, round(n1·n2/(n1+n2)))`.
 *
 *   ks2samp([1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11, 12])
 *   // { statistic: 1, pvalue: 0.0025252525…, method: 'exact' }
 */
import type { KsResult } from '../contract.js';
import { outerProbInside, probOutsideSquare } from './ks-exact.js';
import { kstwoSf } from './kolmogorov-distribution.js';

/** scipy's MAX_AUTO_N: the largest sample size for which `auto` tries the exact distribution. */
export const KS_MAX_EXACT_N = 10000;

/** Two-sided two-sample KS test; throws RangeError on an empty sample or a non-finite value. */
export function ks2samp(sample1: ArrayLike<number>, sample2: ArrayLike<number>): KsResult {
  const a = sortedCopy(sample1, 'first');
  const b = sortedCopy(sample2, 'second');
  const n1 = a.length;
  const n2 = b.length;

  // Walk the pooled values in order; at each distinct value v the ECDFs are (#a ≤ v)/n1, (#b ≤ v)/n2.
  let i = 0;
  let j = 0;
  let maxDiff = -Infinity;
  let minDiff = Infinity;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
    while (i < n1 && a[i] <= v) i++;
    while (j < n2 && b[j] <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  }
  const minS = Math.min(1, Math.max(0, -minDiff));
  let d = minS > maxDiff ? minS : maxDiff;

  let method: KsResult['method'] = Math.max(n1, n2) <= KS_MAX_EXACT_N ? 'exact' : 'asymp';
  let pvalue = Number.NaN;
  if (method === 'exact') {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    d = h / lcm;
    if (h === 0) pvalue = 1.0;
    else {
      pvalue = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
      if (!(pvalue >= 0 && pvalue <= 1)) method = 'asymp';
    }
  }
  if (method === 'asymp') {
    const m = Math.max(n1, n2);
    const n = Math.min(n1, n2);
    pvalue = kstwoSf(d, roundHalfEven((m * n) / (m + n)));
  }
  return { statistic: d, pvalue: Math.min(1, Math.max(0, pvalue)), method };
}

function sortedCopy(sample: ArrayLike<number>, which: string): Float64Array {
  if (sample.length === 0) throw new RangeError(`the ${which} sample is empty`);
  const out = Float64Array.from(sample);
  for (const v of out) if (!Number.isFinite(v)) throw new RangeError(`the ${which} sample holds a non-finite value (${v})`);
  return out.sort();
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** numpy.round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff < 0.5) return f;
  if (diff > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}
