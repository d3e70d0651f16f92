/**
 * Isolation forest (Liu, Ting & Zhou 2008), built the way scikit-learn's IsolationForest builds it
 * so its scores mean the same thing: each of the `trees` trees is grown on `max_samples =
 * min(256, n)` rows drawn without replacement, splitting on a random non-constant feature at a
 * threshold uniform between the node's min and max, down to depth ceil(log2 ψ). A point's path
 * length in a tree is the depth of its leaf plus c(size of the leaf), the average depth of the
 * subtree a leaf of that size stands for; its anomaly score is
 *
 *   s(x) = 2^(−E[h(x)] / c(ψ)),   c(n) = 2(ln(n − 1) + γ) − 2(n − 1)/n,  c(2) = 1, c(1) = 0,
 *
 * near 1 for points isolated in few cuts, well below 0.5 for ordinary ones. The outlier threshold
 * is learnt like sklearn's `offset_`: the score at the (1 − contamination) quantile of the
 * training rows (numpy's linear interpolation), and `isOutlier(x)` is `s(x) > threshold`.
 * Inputs and thresholds are float32, as in sklearn's trees.
 *
 *   const art = trainIsolationForest({ x, featureNames }, { seed: 42 });
 *   const forest = compileIsolationForest(art);
 *   forest.score(vector);   // 0.38 ordinary … 0.7 anomalous
 */
import { shortestFloat32 } from '../numeric/float32.js';
import { allocateFlatTrees } from '../numeric/flat-trees.js';
import { createRandom } from '../random/prng.js';

/** One isolation tree as parallel per-node arrays; node 0 is the root, a leaf has feature -1. */
export interface IsolationTree {
  feature: number[];
  /** float32; `x <= threshold` goes left. */
  threshold: number[];
  left: number[];
  right: number[];
  /** Training rows (of this tree's subsample) that reached the node. */
  size: number[];
}

/** `model.json` of an `isolation-forest` version. */
export interface IsolationForestArtifact {
  format: 'smp-iforest-v1';
  feature_names: string[];
  /** ψ, the subsample size each tree was grown on. */
  max_samples: number;
  contamination: number;
  seed: number;
  /** Scores strictly above this are outliers (sklearn's −offset_). */
  threshold: number;
  trees: IsolationTree[];
}

export interface IsolationForestParams {
  trees?: number;
  maxSamples?: number;
  contamination?: number;
  seed: number;
}

/** A compiled forest: pure and safe to share. */
export interface IsolationForest {
  readonly featureNames: readonly string[];
  readonly threshold: number;
  /** Mean path length E[h(x)] over the trees. */
  pathLength(x: ArrayLike<number>): number;
  /** s(x) in (0, 1]. */
  score(x: ArrayLike<number>): number;
  isOutlier(x: ArrayLike<number>): boolean;
}

const EULER_GAMMA = 0.5772156649015329;

/** c(n): the average path length of an unsuccessful search in a binary search tree of n keys. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** numpy.percentile(values, q) with its default linear interpolation. */
export function percentileLinear(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) throw new RangeError('percentile of an empty list');
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Grow a forest on row-major float32 data (`rows × featureNames.length`). Deterministic in `seed`. */
export function trainIsolationForest(
  data: { x: Float32Array; featureNames: readonly string[] },
  params: IsolationForestParams,
): IsolationForestArtifact {
  const d = data.featureNames.length;
  const n = data.x.length / d;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`need at least 2 rows of ${d} features, got ${data.x.length} values`);
  const nTrees = params.trees ?? 100;
  const contamination = params.contamination ?? 0.05;
  if (!(contamination > 0 && contamination <= 0.5)) throw new RangeError(`contamination must be in (0, 0.5], got ${contamination}`);
  const psi = Math.min(params.maxSamples ?? 256, n);
  const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)));
  const rng = createRandom(params.seed);
  const x = data.x;

  const trees: IsolationTree[] = [];
  for (let t = 0; t < nTrees; t++) {
    const tree: IsolationTree = { feature: [], threshold: [], left: [], right: [], size: [] };
    const grow = (rows: number[], depth: number): number => {
      const id = tree.feature.length;
      tree.feature.push(-1);
      tree.threshold.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.size.push(rows.length);
      if (rows.length <= 1 || depth >= maxDepth) return id;
      // Draw features without replacement until one varies in this node (as sklearn's splitter does).
      const candidates = Array.from({ length: d }, (_, i) => i);
      for (let remaining = d; remaining > 0; remaining--) {
        const pick = rng.int(remaining);
        const f = candidates[pick];
        candidates[pick] = candidates[remaining - 1];
        let lo = Infinity;
        let hi = -Infinity;
        for (const r of rows) {
          const v = x[r * d + f];
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
        if (!(hi > lo)) continue;
        let thr = Math.fround(lo + rng.uniform() * (hi - lo));
        if (thr >= hi) thr = lo; // keeps both sides non-empty
        const leftRows = rows.filter((r) => x[r * d + f] <= thr);
        const rightRows = rows.filter((r) => x[r * d + f] > thr);
        tree.feature[id] = f;
        tree.threshold[id] = thr;
        tree.left[id] = grow(leftRows, depth + 1);
        tree.right[id] = grow(rightRows, depth + 1);
        return id;
      }
      return id;
    };
    grow(rng.sampleIndices(n, psi), 0);
    trees.push(tree);
  }

  const artifact: IsolationForestArtifact = {
    format: 'smp-iforest-v1',
    feature_names: [...data.featureNames],
    max_samples: psi,
    contamination,
    seed: params.seed,
    threshold: 0,
    trees,
  };
  const forest = compileIsolationForest(artifact);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) scores[i] = forest.score(x.subarray(i * d, i * d + d));
  artifact.threshold = percentileLinear(scores, 100 * (1 - contamination));
  return artifact;
}

/** Compile an artifact to flat arrays; throws a descriptive Error when malformed. */
export function compileIsolationForest(artifact: IsolationForestArtifact): IsolationForest {
  if (artifact.format !== 'smp-iforest-v1') throw new Error(`unsupported isolation forest format ${String(artifact.format)}`);
  const d = artifact.feature_names.length;
  const {
    roots,
    feature,
    threshold,
    left,
    right,
    extra: [leafLength],
  } = allocateFlatTrees(artifact.trees, 1);
  artifact.trees.forEach((tree, t) => {
    const offset = roots[t];
    const size = tree.feature.length;
    const place = (node: number, depth: number): void => {
      if (node < 0 || node >= size) throw new Error(`tree ${t}: node ${node} out of range`);
      const f = tree.feature[node];
      feature[offset + node] = f;
      if (f < 0) {
        leafLength[offset + node] = depth + averagePathLength(tree.size[node]);
        return;
      }
      if (f >= d) throw new Error(`tree ${t} node ${node}: feature ${f} out of range`);
      threshold[offset + node] = Math.fround(tree.threshold[node]);
      left[offset + node] = offset + tree.left[node];
      right[offset + node] = offset + tree.right[node];
      place(tree.left[node], depth + 1);
      place(tree.right[node], depth + 1);
    };
    place(0, 0);
  });
  const norm = roots.length * averagePathLength(artifact.max_samples);
  const xf = new Float64Array(d);

  const pathLength = (x: ArrayLike<number>): number => {
    if (x.length !== d) throw new RangeError(`isolation forest takes ${d} features, got ${x.length}`);
    for (let f = 0; f < d; f++) xf[f] = Math.fround(x[f]);
    let sum = 0;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t];
      let f = feature[node];
      while (f >= 0) {
        node = xf[f] <= threshold[node] ? left[node] : right[node];
        f = feature[node];
      }
      sum += leafLength[node];
    }
    return sum / roots.length;
  };
  const score = (x: ArrayLike<number>): number => 2 ** (-(pathLength(x) * roots.length) / norm);
  return {
    featureNames: Object.freeze([...artifact.feature_names]),
    threshold: artifact.threshold,
    pathLength,
    score,
    isOutlier: (x) => score(x) > artifact.threshold,
  };
}

/** The artifact with thresholds in their shortest float32 form (see numeric/float32.ts). */
export function compactIsolationForestArtifact(artifact: IsolationForestArtifact): IsolationForestArtifact {
  return { ...artifact, trees: artifact.trees.map((t) => ({ ...t, threshold: t.threshold.map(shortestFloat32) })) };
}
