/**
 * Exact null distribution of the two-sided two-sample Kolmogorov–Smirnov statistic: the share of
 * the C(m+n, n) lattice paths from (0,0) to (m,n) that leave the band |x/m − y/n| < h/lcm(m,n)
 * (Hodges 1958). These follow scipy 1.10's `_compute_prob_outside_square` (m = n: an alternating
 * sum evaluated Horner-style) and `_compute_outer_prob_inside_method` (m ≠ n: the column-by-column
 * recursion that yields 1 − inside directly, Viehmann 2021), operation for operation, so the
 * float64 results agree with scipy's.
 *
 *   probOutsideSquare(5, 3)          // P(D_{5,5} ≥ 3/5) = 0.357…
 *   outerProbInside(7, 5, 1, 20)     // P(D_{7,5} ≥ 20/35)
 */

/** P(D_{n,n} ≥ h/n) for 0 < h ≤ n. */
export function probOutsideSquare(n: number, h: number): number {
  // 2·(A0 − A0·A1 + A0·A1·A2 − …) with Ai = binom(2n, n − (i+1)h)/binom(2n, n − ih), nested as
  // 2·A0·(1 − A1·(1 − A2·(…))) to avoid subtracting large binomials.
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/** P(D_{m,n} ≥ h/lcm(m,n)) for m ≠ n (any order), g = gcd(m, n), 0 < h ≤ lcm. */
export function outerProbInside(m: number, n: number, g: number, h: number): number {
  if (m < n) [m, n] = [n, m];
  const mg = Math.floor(m / g);
  const ng = Math.floor(n / g);
  // A(x, y) over the band, one column (x) at a time in a sliding window [minj, maxj) of y;
  // each entry holds 1 − (share of paths to (x, y) that stayed inside), rescaled by binomials.
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1.0;
    let val = minj === 0 ? 0.0 : 1.0;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}
