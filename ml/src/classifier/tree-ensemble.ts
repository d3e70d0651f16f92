/**
 * A gradient-boosted tree ensemble for binary classification, in two shapes:
 *
 * - `GbdtArtifact`: the JSON stored as `model.json` in the registry, one object per tree with
 *   per-node arrays (`feature`, `threshold`, `left`, `right`, `value`, `cover`). A leaf has
 *   `feature = -1`. This is what the ONNX exporter reads: it maps one-to-one onto ai.onnx.ml
 *   TreeEnsembleClassifier (`BRANCH_LEQ` nodes, leaf weights, `base_values = [base_score]`,
 *   post-transform LOGISTIC).
 * - `TreeEnsemble`: the same trees compiled into flat typed arrays for fast inference.
 *
 * The float32 rule: inputs are rounded with `Math.fround` before any comparison, every threshold
 * and leaf value is a float32 value, and `x <= threshold` goes left. The margin is
 * `base_score + Σ leaf values` (log-odds), the probability `sigmoid(margin)`.
 *
 *   const model = compileEnsemble(artifact);
 *   model.margin([300.1, 310.2, 1500, 40, 100, 1]);   // e.g. -4.91
 */

import { shortestFloat32 } from '../numeric/float32.js';
import { allocateFlatTrees } from '../numeric/flat-trees.js';

/** One tree of the artifact: parallel per-node arrays, node 0 is the root. */
export interface GbdtTree {
  /** Feature index tested at the node; -1 for a leaf. */
  feature: number[];
  /** float32 threshold; `x <= threshold` goes to `left`. 0 for leaves. */
  threshold: number[];
  left: number[];
  right: number[];
  /** float32 leaf value (log-odds contribution); 0 for internal nodes. */
  value: number[];
  /** Training samples that reached the node (TreeSHAP's path-dependent weights). */
  cover: number[];
}

/** `model.json` of a `gbdt-classifier` version. */
export interface GbdtArtifact {
  format: 'smp-gbdt-v1';
  objective: 'binary:logistic';
  feature_names: string[];
  /** float32 log-odds prior added to every margin. */
  base_score: number;
  trees: GbdtTree[];
}

/** An ensemble compiled to flat arrays; node ids are global across trees. */
export interface TreeEnsemble {
  readonly nFeatures: number;
  readonly baseScore: number;
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
  readonly cover: Float64Array;
  /** Deepest root-to-leaf path, in edges. */
  readonly maxDepth: number;
  /** log-odds margin for one input vector (rounded to float32 inside). */
  margin(x: ArrayLike<number>): number;
  /** Mean margin over the training data as the covers weigh it: TreeSHAP's base value. */
  readonly expectedValue: number;
}

/** Validate an artifact's structure and compile it; throws a descriptive Error when malformed. */
export function compileEnsemble(artifact: GbdtArtifact): TreeEnsemble {
  if (artifact.format !== 'smp-gbdt-v1') throw new Error(`unsupported gbdt format ${String(artifact.format)}`);
  const nFeatures = artifact.feature_names.length;
  const {
    roots,
    feature,
    threshold,
    left,
    right,
    extra: [value, cover],
  } = allocateFlatTrees(artifact.trees, 2);
  artifact.trees.forEach((tree, t) => {
    const size = tree.feature.length;
    for (const key of ['threshold', 'left', 'right', 'value', 'cover'] as const) {
      if (tree[key].length !== size) throw new Error(`tree ${t}: ${key} has ${tree[key].length} entries, feature has ${size}`);
    }
    const offset = roots[t];
    for (let i = 0; i < size; i++) {
      const f = tree.feature[i];
      feature[offset + i] = f;
      cover[offset + i] = tree.cover[i];
      if (f < 0) {
        value[offset + i] = Math.fround(tree.value[i]);
      } else {
        if (f >= nFeatures) throw new Error(`tree ${t} node ${i}: feature ${f} out of range`);
        const l = tree.left[i];
        const r = tree.right[i];
        if (!(l > i && l < size && r > i && r < size)) throw new Error(`tree ${t} node ${i}: bad children ${l}, ${r}`);
        left[offset + i] = offset + l;
        right[offset + i] = offset + r;
        threshold[offset + i] = Math.fround(tree.threshold[i]);
      }
    }
  });
  const baseScore = Math.fround(artifact.base_score);

  let maxDepth = 0;
  let expectedValue = baseScore;
  const walk = (node: number, depth: number): number => {
    if (feature[node] < 0) {
      if (depth > maxDepth) maxDepth = depth;
      return value[node];
    }
    const l = left[node];
    const r = right[node];
    const below = cover[l] * walk(l, depth + 1) + cover[r] * walk(r, depth + 1);
    // A node no training sample reached weighs nothing (coverShare's rule), rather than 0/0.
    return cover[node] > 0 ? below / cover[node] : 0;
  };
  for (const root of roots) expectedValue += walk(root, 0);

  const margin = (x: ArrayLike<number>): number => {
    let sum = baseScore;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t];
      let f = feature[node];
      while (f >= 0) {
        node = Math.fround(x[f]) <= threshold[node] ? left[node] : right[node];
        f = feature[node];
      }
      sum += value[node];
    }
    return sum;
  };

  return { nFeatures, baseScore, roots, feature, threshold, left, right, value, cover, maxDepth, margin, expectedValue };
}

/**
 * The artifact with every threshold and leaf value written in its shortest float32 form (see
 * numeric/float32.ts): same model, about half the JSON.
 */
export function compactGbdtArtifact(artifact: GbdtArtifact): GbdtArtifact {
  return {
    ...artifact,
    base_score: shortestFloat32(artifact.base_score),
    trees: artifact.trees.map((t) => ({
      ...t,
      threshold: t.threshold.map(shortestFloat32),
      value: t.value.map(shortestFloat32),
    })),
  };
}

/**
 * The share of `node`'s training samples that went on to `child`, the weight TreeSHAP and the
 * expected value give the child when the node's feature is unknown; 0 under a node no sample
 * reached (possible in hand-made or imported trees), so such a subtree adds nothing instead of NaN.
 */
export function coverShare(cover: ArrayLike<number>, node: number, child: number): number {
  return cover[node] > 0 ? cover[child] / cover[node] : 0;
}

/** The logistic function, written to stay finite for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}
