/**
 * The flat layout both tree models compile to: all trees' nodes in one set of typed arrays,
 * node ids global, `roots[t]` the first node of tree t. Children are absolute ids, -1 in leaves.
 *
 *   const flat = allocateFlatTrees([{ feature: [0, -1, -1] }, { feature: [-1] }]);
 *   flat.roots   // Int32Array [0, 3]
 */

/** Typed arrays for `total` nodes; filling them is the compiler's job. */
export interface FlatTrees {
  total: number;
  roots: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** Per-node numbers the model needs (leaf value, cover, path length…), one array each. */
  extra: Float64Array[];
}

export function allocateFlatTrees(trees: readonly { feature: readonly number[] }[], extraArrays: number): FlatTrees {
  const total = trees.reduce((s, t) => s + t.feature.length, 0);
  const roots = new Int32Array(trees.length);
  let offset = 0;
  trees.forEach((t, i) => {
    roots[i] = offset;
    offset += t.feature.length;
  });
  return {
    total,
    roots,
    feature: new Int32Array(total),
    threshold: new Float64Array(total),
    left: new Int32Array(total).fill(-1),
    right: new Int32Array(total).fill(-1),
    extra: Array.from({ length: extraArrays }, () => new Float64Array(total)),
  };
}
