/**
 * Training of the gradient-boosted trees (binary log-loss, second-order boosting as in XGBoost):
 * each round fits a depth-limited tree to the gradients g = p − y and hessians h = p(1 − p) of the
 * current margins, choosing exact greedy splits (every boundary between two distinct feature
 * values) by the gain  G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ), and gives each leaf the Newton
 * step −η·G/(H+λ), rounded to float32. There is no sampling, so training is a pure function of
 * the data and the parameters.
 *
 *   const artifact = trainGbdt({ x, y, featureNames }, { trees: 150, maxDepth: 5, learningRate: 0.1 });
 *
 * Inputs are float32 (`Float32Array`), thresholds are float32 midpoints between neighbouring
 * values with `x <= t` going left, so the compiled model routes every training row exactly as the
 * trainer did (see tree-ensemble.ts for the float32 rule).
 */
import { float32Midpoint } from '../numeric/float32.js';
import type { GbdtArtifact, GbdtTree } from './tree-ensemble.js';
import { sigmoid } from './tree-ensemble.js';

/** Training data: `x` is row-major, `rows × featureNames.length`, already float32; `y` is 0/1. */
export interface GbdtTrainingData {
  x: Float32Array;
  y: ArrayLike<number>;
  featureNames: readonly string[];
}

/** Boosting hyperparameters; all but `trees` and `maxDepth` have conventional defaults. */
export interface GbdtParams {
  trees: number;
  maxDepth: number;
  /** Shrinkage η applied to every leaf (default 0.1). */
  learningRate?: number;
  /** L2 penalty λ on leaf values (default 1). */
  lambda?: number;
  /** Fewest training rows in a leaf (default 5). */
  minSamplesLeaf?: number;
  /** Smallest hessian sum in a leaf (default 1e-3). */
  minChildWeight?: number;
  /** A split must gain strictly more than this (default 0). */
  minGain?: number;
}

export function trainGbdt(data: GbdtTrainingData, params: GbdtParams): GbdtArtifact {
  const d = data.featureNames.length;
  const n = data.y.length;
  if (n === 0 || data.x.length !== n * d) throw new RangeError(`x has ${data.x.length} values for ${n} rows × ${d} features`);
  const eta = params.learningRate ?? 0.1;
  const lambda = params.lambda ?? 1;
  const minLeaf = params.minSamplesLeaf ?? 5;
  const minHess = params.minChildWeight ?? 1e-3;
  const minGain = params.minGain ?? 0;
  const x = data.x;
  const y = Float64Array.from(data.y);

  // Rows sorted by each feature once; every tree scans these orders level by level.
  const orders: Int32Array[] = [];
  for (let f = 0; f < d; f++) {
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => x[a * d + f] - x[b * d + f] || a - b);
    orders.push(Int32Array.from(idx));
  }

  let positives = 0;
  for (let i = 0; i < n; i++) positives += y[i];
  const prior = Math.min(Math.max(positives / n, 1e-6), 1 - 1e-6);
  const baseScore = Math.fround(Math.log(prior / (1 - prior)));

  const margin = new Float64Array(n).fill(baseScore);
  const g = new Float64Array(n);
  const h = new Float64Array(n);
  const nodeOf = new Int32Array(n);
  const trees: GbdtTree[] = [];

  for (let t = 0; t < params.trees; t++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(margin[i]);
      g[i] = p - y[i];
      h[i] = p * (1 - p);
    }
    const tree = growTree();
    for (let i = 0; i < n; i++) margin[i] += tree.value[nodeOf[i]];
    trees.push(tree);
  }

  return { format: 'smp-gbdt-v1', objective: 'binary:logistic', feature_names: [...data.featureNames], base_score: baseScore, trees };

  function growTree(): GbdtTree {
    const tree: GbdtTree = { feature: [], threshold: [], left: [], right: [], value: [], cover: [] };
    const G: number[] = [];
    const H: number[] = [];
    const addNode = (gs: number, hs: number, count: number): number => {
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(Math.fround((-eta * gs) / (hs + lambda)));
      tree.cover.push(count);
      G.push(gs);
      H.push(hs);
      return tree.feature.length - 1;
    };
    let gs = 0;
    let hs = 0;
    for (let i = 0; i < n; i++) {
      gs += g[i];
      hs += h[i];
      nodeOf[i] = 0;
    }
    addNode(gs, hs, n);

    let level = [0];
    for (let depth = 0; depth < params.maxDepth && level.length > 0; depth++) {
      const slotOf = new Int32Array(tree.feature.length).fill(-1);
      level.forEach((node, s) => (slotOf[node] = s));
      const k = level.length;
      const bestGain = new Float64Array(k).fill(minGain);
      const bestFeature = new Int32Array(k).fill(-1);
      const bestThreshold = new Float64Array(k);
      const parentScore = level.map((node) => (G[node] * G[node]) / (H[node] + lambda));
      const gl = new Float64Array(k);
      const hl = new Float64Array(k);
      const cl = new Int32Array(k);
      const last = new Float64Array(k);

      for (let f = 0; f < d; f++) {
        gl.fill(0);
        hl.fill(0);
        cl.fill(0);
        const order = orders[f];
        for (let r = 0; r < n; r++) {
          const i = order[r];
          const s = slotOf[nodeOf[i]];
          if (s < 0) continue;
          const v = x[i * d + f];
          if (cl[s] > 0 && v > last[s]) {
            const node = level[s];
            const cr = tree.cover[node] - cl[s];
            const hr = H[node] - hl[s];
            if (cl[s] >= minLeaf && cr >= minLeaf && hl[s] >= minHess && hr >= minHess) {
              const gr = G[node] - gl[s];
              const gain = (gl[s] * gl[s]) / (hl[s] + lambda) + (gr * gr) / (hr + lambda) - parentScore[s];
              if (gain > bestGain[s]) {
                bestGain[s] = gain;
                bestFeature[s] = f;
                bestThreshold[s] = float32Midpoint(last[s], v);
              }
            }
          }
          gl[s] += g[i];
          hl[s] += h[i];
          cl[s] += 1;
          last[s] = v;
        }
      }

      // Children's sums come from one pass over the rows after the split is fixed.
      const split = bestFeature.some((f) => f >= 0);
      if (!split) break;
      const childG = new Float64Array(2 * k);
      const childH = new Float64Array(2 * k);
      const childC = new Int32Array(2 * k);
      for (let i = 0; i < n; i++) {
        const s = slotOf[nodeOf[i]];
        if (s < 0 || bestFeature[s] < 0) continue;
        const side = x[i * d + bestFeature[s]] <= bestThreshold[s] ? 0 : 1;
        childG[2 * s + side] += g[i];
        childH[2 * s + side] += h[i];
        childC[2 * s + side] += 1;
      }
      const next: number[] = [];
      const childOf = new Int32Array(2 * k).fill(-1);
      for (let s = 0; s < k; s++) {
        if (bestFeature[s] < 0) continue;
        const node = level[s];
        const l = addNode(childG[2 * s], childH[2 * s], childC[2 * s]);
        const r = addNode(childG[2 * s + 1], childH[2 * s + 1], childC[2 * s + 1]);
        tree.feature[node] = bestFeature[s];
        tree.threshold[node] = bestThreshold[s];
        tree.left[node] = l;
        tree.right[node] = r;
        tree.value[node] = 0;
        childOf[2 * s] = l;
        childOf[2 * s + 1] = r;
        next.push(l, r);
      }
      for (let i = 0; i < n; i++) {
        const s = slotOf[nodeOf[i]];
        if (s < 0 || bestFeature[s] < 0) continue;
        nodeOf[i] = childOf[2 * s + (x[i * d + bestFeature[s]] <= bestThreshold[s] ? 0 : 1)];
      }
      level = next;
    }
    return tree;
  }
}
