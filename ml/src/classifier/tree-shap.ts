/**
 * Exact SHAP values of a tree ensemble: the polynomial-time, path-dependent TreeSHAP of
 * Lundberg, Erion & Lee (2018), "Consistent Individualized Feature Attribution for Tree
 * Ensembles", Algorithm 2. "Path-dependent" means a feature left out of a coalition is integrated
 * out by following both children weighted by their training covers, which is exactly what
 * `cover` in the artifact records. The result is in log-odds space and is additive:
 *
 *   Σ_f phi[f] + ensemble.expectedValue === ensemble.margin(x)     (up to rounding, ~1e-12)
 *
 * and equals the Shapley values obtained by enumerating all feature subsets (see the tests).
 * Cost per tree is O(leaves · depth²); buffers are allocated once per explainer and reused.
 * `createGbdtClassifier` explains with the table-driven fast-tree-shap.ts, which gives the same
 * numbers faster; this one stays as its reference in tests and its fallback for trees too deep
 * for the tables.
 *
 * Zero covers: a child no training sample reached gets the fraction 0 (coverShare). When x does
 * not follow such a child, its path element is (zero 0, one 0): every leaf below has the value
 * function 0 for every coalition, so the subtree is skipped — walking it would divide 0 by 0.
 */
import { coverShare, type TreeEnsemble } from './tree-ensemble.js';

/** Computes SHAP values for one ensemble; not reentrant (owns scratch buffers), cheap to create. */
export interface TreeShapExplainer {
  /** Per-feature contributions for `x`, written into (and returned as) a fresh Float64Array. */
  shap(x: ArrayLike<number>): Float64Array;
}

export function createTreeShapExplainer(ensemble: TreeEnsemble): TreeShapExplainer {
  const { feature, threshold, left, right, value, cover, roots, nFeatures } = ensemble;
  // The unique path of depth d lives in a segment of length d+1; nested segments are laid out
  // one after another, so the whole recursion needs (D+2)(D+3)/2 slots for maximum depth D.
  const size = ((ensemble.maxDepth + 2) * (ensemble.maxDepth + 3)) / 2;
  const pFeature = new Int32Array(size);
  const pZero = new Float64Array(size);
  const pOne = new Float64Array(size);
  const pWeight = new Float64Array(size);
  const xf = new Float64Array(nFeatures);
  let phi = new Float64Array(nFeatures);

  // EXTEND: add a feature with fractions (zero, one) to the path ending at index `depth` of segment `p`.
  const extend = (p: number, depth: number, zero: number, one: number, feat: number): void => {
    pFeature[p + depth] = feat;
    pZero[p + depth] = zero;
    pOne[p + depth] = one;
    pWeight[p + depth] = depth === 0 ? 1 : 0;
    for (let i = depth - 1; i >= 0; i--) {
      pWeight[p + i + 1] += (one * pWeight[p + i] * (i + 1)) / (depth + 1);
      pWeight[p + i] = (zero * pWeight[p + i] * (depth - i)) / (depth + 1);
    }
  };

  // UNWIND: undo the EXTEND of element `index` (a feature seen again deeper on the path).
  const unwind = (p: number, depth: number, index: number): void => {
    const one = pOne[p + index];
    const zero = pZero[p + index];
    let next = pWeight[p + depth];
    for (let i = depth - 1; i >= 0; i--) {
      if (one !== 0) {
        const tmp = pWeight[p + i];
        pWeight[p + i] = (next * (depth + 1)) / ((i + 1) * one);
        next = tmp - (pWeight[p + i] * zero * (depth - i)) / (depth + 1);
      } else {
        pWeight[p + i] = (pWeight[p + i] * (depth + 1)) / (zero * (depth - i));
      }
    }
    for (let i = index; i < depth; i++) {
      pFeature[p + i] = pFeature[p + i + 1];
      pZero[p + i] = pZero[p + i + 1];
      pOne[p + i] = pOne[p + i + 1];
    }
  };

  // The total weight the path would have with element `index` unwound, without modifying it.
  const unwoundSum = (p: number, depth: number, index: number): number => {
    const one = pOne[p + index];
    const zero = pZero[p + index];
    let next = pWeight[p + depth];
    let total = 0;
    for (let i = depth - 1; i >= 0; i--) {
      if (one !== 0) {
        const tmp = (next * (depth + 1)) / ((i + 1) * one);
        total += tmp;
        next = pWeight[p + i] - tmp * zero * ((depth - i) / (depth + 1));
      } else {
        total += pWeight[p + i] / zero / ((depth - i) / (depth + 1));
      }
    }
    return total;
  };

  const recurse = (node: number, parent: number, depth: number, zero: number, one: number, feat: number): void => {
    if (zero === 0 && one === 0) return;
    // Copy the parent's path into this call's own segment, then extend it.
    const p = parent + depth;
    for (let i = 0; i < depth; i++) {
      pFeature[p + i] = pFeature[parent + i];
      pZero[p + i] = pZero[parent + i];
      pOne[p + i] = pOne[parent + i];
      pWeight[p + i] = pWeight[parent + i];
    }
    extend(p, depth, zero, one, feat);

    const split = feature[node];
    if (split < 0) {
      const leaf = value[node];
      for (let i = 1; i <= depth; i++) {
        const w = unwoundSum(p, depth, i);
        phi[pFeature[p + i]] += w * (pOne[p + i] - pZero[p + i]) * leaf;
      }
      return;
    }

    const goesLeft = xf[split] <= threshold[node];
    const hot = goesLeft ? left[node] : right[node];
    const cold = goesLeft ? right[node] : left[node];
    let incomingZero = 1;
    let incomingOne = 1;
    let d = depth;
    let k = 0;
    while (k <= d && pFeature[p + k] !== split) k++;
    if (k <= d) {
      incomingZero = pZero[p + k];
      incomingOne = pOne[p + k];
      unwind(p, d, k);
      d -= 1;
    }
    recurse(hot, p, d + 1, coverShare(cover, node, hot) * incomingZero, incomingOne, split);
    recurse(cold, p, d + 1, coverShare(cover, node, cold) * incomingZero, 0, split);
  };

  return {
    shap(x: ArrayLike<number>): Float64Array {
      for (let f = 0; f < nFeatures; f++) xf[f] = Math.fround(x[f]);
      phi = new Float64Array(nFeatures);
      for (let t = 0; t < roots.length; t++) {
        // Root segment starts at 0 with depth 0; `parent` = 0 and depth 0 give p = 0.
        recurse(roots[t], 0, 0, 1, 1, -1);
      }
      return phi;
    },
  };
}
