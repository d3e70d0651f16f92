import assert from 'node:assert/strict';
import { compileEnsemble, type GbdtArtifact, type GbdtTree } from '../src/classifier/tree-ensemble.js';
import { createFastTreeShap } from '../src/classifier/fast-tree-shap.js';
import { createTreeShapExplainer } from '../src/classifier/tree-shap.js';
import { createRandom, type Random } from '../src/random/prng.js';
import { openRegistry } from '../src/registry/model-registry.js';
import { defaultModelsDir } from '../src/registry/models-dir.js';
import { generateAi4i, ai4iRowFeatures } from '../src/simulation/ai4i.js';
import type { GbdtClassifier } from '../src/classifier/gbdt-classifier.js';

/** Path-dependent expectation of one tree's output when only the features in `known` follow x. */
function conditional(tree: GbdtTree, node: number, x: readonly number[], known: Set<number>): number {
  const f = tree.feature[node];
  if (f < 0) return Math.fround(tree.value[node]);
  const l = tree.left[node];
  const r = tree.right[node];
  if (known.has(f)) return conditional(tree, Math.fround(x[f]) <= Math.fround(tree.threshold[node]) ? l : r, x, known);
  // Under a node no training sample reached, the unknown feature's subtree weighs nothing (coverShare's rule).
  if (!(tree.cover[node] > 0)) return 0;
  return (tree.cover[l] * conditional(tree, l, x, known) + tree.cover[r] * conditional(tree, r, x, known)) / tree.cover[node];
}

/** Shapley values by enumerating all 2^M coalitions (M ≤ 10). */
function bruteForceShap(artifact: GbdtArtifact, x: readonly number[]): number[] {
  const m = artifact.feature_names.length;
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  const v = (mask: number): number => {
    const known = new Set<number>();
    for (let f = 0; f < m; f++) if (mask & (1 << f)) known.add(f);
    return artifact.trees.reduce((s, t) => s + conditional(t, 0, x, known), 0);
  };
  const phi = new Array(m).fill(0);
  for (let i = 0; i < m; i++) {
    for (let mask = 0; mask < 1 << m; mask++) {
      if (mask & (1 << i)) continue;
      let size = 0;
      for (let f = 0; f < m; f++) if (mask & (1 << f)) size++;
      phi[i] += ((fact(size) * fact(m - size - 1)) / fact(m)) * (v(mask | (1 << i)) - v(mask));
    }
  }
  return phi;
}

/** A random tree of the given depth over `m` features (features may repeat on a path). */
function randomTree(rng: Random, depth: number, m: number): GbdtTree {
  const tree: GbdtTree = { feature: [], threshold: [], left: [], right: [], value: [], cover: [] };
  const grow = (d: number): number => {
    const id = tree.feature.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(0);
    tree.cover.push(0);
    if (d === depth || (d > 0 && rng.uniform() < 0.2)) {
      tree.value[id] = Math.fround(rng.normal(0, 1));
      tree.cover[id] = 1 + rng.int(50);
      return id;
    }
    tree.feature[id] = rng.int(m);
    tree.threshold[id] = Math.fround(rng.normal(0, 1));
    const l = grow(d + 1);
    const r = grow(d + 1);
    tree.left[id] = l;
    tree.right[id] = r;
    tree.cover[id] = tree.cover[l] + tree.cover[r];
    return id;
  };
  grow(0);
  return tree;
}

function ensembleOf(trees: GbdtTree[], m: number, base = 0): GbdtArtifact {
  return { format: 'smp-gbdt-v1', objective: 'binary:logistic', feature_names: Array.from({ length: m }, (_, i) => `f${i}`), base_score: base, trees };
}

describe('TreeSHAP (exact, path-dependent)', () => {
  // One stump on feature 0 with covers 30/10: phi_0 = value(x) − weighted mean, others 0.
  // Trees with nodes no training sample reached: the path-walking TreeSHAP answered NaN here.
  const zeroCoverLeaf = ensembleOf([{ feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, 0.25, -5], cover: [10, 10, 0] }], 2);
  const zeroCoverInner = ensembleOf(
    [{ feature: [0, -1, 1, -1, -1], threshold: [0.5, 0, 0.5, 0, 0], left: [1, -1, 3, -1, -1], right: [2, -1, 4, -1, -1], value: [0, 0.25, 0, 1, 2], cover: [10, 10, 0, 0, 0] }],
    2,
  );
  const stump = ensembleOf([{ feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, -1, 3], cover: [40, 30, 10] }], 2, 0.25);
  const cases: [string, GbdtArtifact, number[], number[]][] = [
    ['a stump x0=0 (left, value −1, mean 0): phi = [−1, 0]', stump, [0, 9], [-1, 0]],
    ['a stump x0=1 (right, value 3, mean 0): phi = [3, 0]', stump, [1, 9], [3, 0]],
    [
      'a depth-2 tree x=(0,0) with four equal leaves −2, 0, 0, 2: phi = [−1, −1]',
      ensembleOf([{ feature: [0, 1, 1, -1, -1, -1, -1], threshold: [0.5, 0.5, 0.5, 0, 0, 0, 0], left: [1, 3, 5, -1, -1, -1, -1], right: [2, 4, 6, -1, -1, -1, -1], value: [0, 0, 0, -2, 0, 0, 2], cover: [100, 50, 50, 25, 25, 25, 25] }], 2),
      [0, 0],
      [-1, -1],
    ],
    ['a zero-cover right child (covers 10/0, values 0.25/−5, mean 0.25) x0=0: phi = [0, 0], not NaN', zeroCoverLeaf, [0, 9], [0, 0]],
    ['a zero-cover right child x0=1 (into the leaf no sample reached, value −5): phi = [−5.25, 0]', zeroCoverLeaf, [1, 9], [-5.25, 0]],
    ['a zero-cover inner node (x0=1, then x1=0 to value 1; mean 0.25): phi = [0.25, 0.5]', zeroCoverInner, [1, 0], [0.25, 0.5]],
    ['a zero-cover inner node x0=0 (left leaf 0.25): phi = [0, 0]', zeroCoverInner, [0, 0], [0, 0]],
  ];
  for (const [name, artifact, x, expected] of cases) {
    it(`gives ${name}, with the path-walking and the table explainer alike`, () => {
      const ensemble = compileEnsemble(artifact);
      assert.ok(Number.isFinite(ensemble.expectedValue), `expected value ${ensemble.expectedValue}`);
      for (const explainer of [createTreeShapExplainer(ensemble), createFastTreeShap(ensemble)!]) {
        const phi = explainer.shap(x);
        expected.forEach((e, i) => assert.ok(Math.abs(phi[i] - e) < 1e-12, `phi[${i}] = ${phi[i]}, expected ${e}`));
      }
      assert.deepEqual(bruteForceShap(artifact, x).map((v) => Math.round(v * 1e9) / 1e9), expected);
    });
  }

  const randomCases: [number, number, number, number][] = [
    // seed, trees, depth, features
    [1, 1, 3, 3],
    [2, 3, 4, 4],
    [3, 5, 5, 5],
    [4, 2, 6, 3],
    [5, 8, 3, 6],
  ];
  for (const [seed, nTrees, depth, m] of randomCases) {
    it(`equals brute-force Shapley values to 1e-10 on ${nTrees} random tree(s) of depth ${depth} over ${m} features with repeated splits (seed ${seed})`, () => {
      const rng = createRandom(seed);
      const artifact = ensembleOf(Array.from({ length: nTrees }, () => randomTree(rng, depth, m)), m, 0.1);
      const ensemble = compileEnsemble(artifact);
      const explainer = createTreeShapExplainer(ensemble);
      for (let k = 0; k < 10; k++) {
        const x = Array.from({ length: m }, () => rng.normal(0, 1));
        const phi = explainer.shap(x);
        const brute = bruteForceShap(artifact, x);
        brute.forEach((b, i) => assert.ok(Math.abs(phi[i] - b) < 1e-10, `feature ${i}: ${phi[i]} vs ${b}`));
        const sum = phi.reduce((s, p) => s + p, 0);
        assert.ok(Math.abs(sum + ensemble.expectedValue - ensemble.margin(x)) < 1e-9);
      }
    });
  }

  describe('on the committed ai4i_classifier', () => {
    const registry = openRegistry(defaultModelsDir());
    const rows = generateAi4i({ rows: 300, seed: 99 });

    for (const version of ['1', '2']) {
      it(`v${version}: Σ shap + expectedValue equals the margin to 1e-9 on 300 generated rows`, async () => {
        const clf = (await registry.loadClassifier('ai4i_classifier', version)) as GbdtClassifier;
        for (const row of rows) {
          const x = ai4iRowFeatures(row);
          const sum = Object.values(clf.shap(x)).reduce((s, p) => s + p, 0);
          assert.ok(Math.abs(sum + clf.expectedValue - clf.margin(x)) < 1e-9);
        }
      });
    }

    it('v2: equals brute-force Shapley values (64 coalitions × 150 trees) to 1e-9 on 5 rows', async () => {
      const clf = (await registry.loadClassifier('ai4i_classifier', '2')) as GbdtClassifier;
      for (const row of rows.slice(0, 5)) {
        const x = ai4iRowFeatures(row);
        const phi = clf.shapVector(x);
        bruteForceShap(clf.artifact, x).forEach((b, i) => assert.ok(Math.abs(phi[i] - b) < 1e-9, `feature ${i}: ${phi[i]} vs ${b}`));
      }
    });
  });
});
