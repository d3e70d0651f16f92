/**
 * The precomputed-table TreeSHAP against the path-walking TreeSHAP (its reference), on hand-made
 * trees with the awkward cases (a feature tested twice on one path, a child with zero cover, a
 * stump) and on a trained AI4I ensemble; the depth limit above which no tables are built, and the
 * classifier's fall-back to the path-walking explainer beyond it.
 */
import assert from 'node:assert/strict';
import { createFastTreeShap, MAX_PATH_FEATURES } from '../src/classifier/fast-tree-shap.js';
import { createGbdtClassifier } from '../src/classifier/gbdt-classifier.js';
import { trainGbdt } from '../src/classifier/gbdt-trainer.js';
import { compileEnsemble, type GbdtArtifact, type GbdtTree } from '../src/classifier/tree-ensemble.js';
import { createTreeShapExplainer } from '../src/classifier/tree-shap.js';
import { createRandom } from '../src/random/prng.js';
import { ai4iMatrix, ai4iRowFeatures, generateAi4i } from '../src/simulation/ai4i.js';

const LEAF = -1;
/** A tree from [feature, threshold, left, right, value, cover] rows. */
function tree(rows: Array<[number, number, number, number, number, number]>): GbdtTree {
  return {
    feature: rows.map((r) => r[0]),
    threshold: rows.map((r) => r[1]),
    left: rows.map((r) => r[2]),
    right: rows.map((r) => r[3]),
    value: rows.map((r) => r[4]),
    cover: rows.map((r) => r[5]),
  };
}
const artifact = (trees: GbdtTree[], features = 3): GbdtArtifact => ({
  format: 'smp-gbdt-v1',
  objective: 'binary:logistic',
  feature_names: Array.from({ length: features }, (_, i) => `f${i}`),
  base_score: -2,
  trees,
});

/** A chain testing features 0..depth-1 in turn: `depth` unique features on its deepest path. */
function chain(depth: number): GbdtTree {
  const rows: Array<[number, number, number, number, number, number]> = [];
  for (let d = 0; d < depth; d++) {
    const id = rows.length;
    rows.push([d, 0.5, id + 1, id + 2, 0, 100 - d]);
    rows.push([LEAF, 0, -1, -1, 0.1 * (d + 1), 1]);
    if (d === depth - 1) rows.push([LEAF, 0, -1, -1, -0.3, 1]);
  }
  // Fix the children: node `id` goes left to its leaf and right to the next split.
  for (let i = 0; i < rows.length; i++) if (rows[i][0] >= 0) [rows[i][2], rows[i][3]] = [i + 1, i + 2];
  return tree(rows);
}

function worstDifference(a: GbdtArtifact, inputs: number[][]): number {
  const ensemble = compileEnsemble(a);
  const fast = createFastTreeShap(ensemble);
  assert.ok(fast, 'tables were built');
  const reference = createTreeShapExplainer(ensemble);
  let worst = 0;
  for (const x of inputs) {
    const got = fast.shap(x);
    const want = reference.shap(x);
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  }
  return worst;
}

describe('createFastTreeShap', function () {
  const rng = createRandom(11);
  const inputs = Array.from({ length: 200 }, () => [rng.between(0, 1), rng.between(0, 1), rng.between(0, 1)]);
  const cases: Array<[string, GbdtArtifact]> = [
    ['a stump (one leaf)', artifact([tree([[LEAF, 0, -1, -1, 0.7, 50]])])],
    [
      'feature 0 tested twice on one path',
      artifact([tree([[0, 0.5, 1, 2, 0, 100], [0, 0.25, 3, 4, 0, 60], [1, 0.5, 5, 6, 0, 40], [LEAF, 0, -1, -1, -0.4, 30], [LEAF, 0, -1, -1, 0.2, 30], [LEAF, 0, -1, -1, 0.9, 10], [LEAF, 0, -1, -1, -0.1, 30]])]),
    ],
    ['three trees, chains of depth 1 to 3', artifact([chain(1), chain(2), chain(3)])],
  ];
  for (const [what, a] of cases) {
    it(`matches the path-walking TreeSHAP within 1e-12 for ${what} on 200 inputs`, function () {
      assert.ok(worstDifference(a, inputs) <= 1e-12);
    });
  }

  it('stays additive (Σφ = margin − expected value) and equals the path-walking TreeSHAP where a child has zero cover, for x on either side', function () {
    const ensemble = compileEnsemble(artifact([tree([[2, 0.5, 1, 2, 0, 10], [LEAF, 0, -1, -1, 0.3, 10], [LEAF, 0, -1, -1, -5, 0]])]));
    const fast = createFastTreeShap(ensemble)!;
    const reference = createTreeShapExplainer(ensemble);
    for (const x of [[0, 0, 0.2], [0, 0, 0.9]]) {
      const phi = fast.shap(x);
      assert.ok(Math.abs(phi.reduce((a, b) => a + b, 0) - (ensemble.margin(x) - ensemble.expectedValue)) <= 1e-12, `x=${x}`);
      assert.deepEqual([phi[0], phi[1]], [0, 0]);
      assert.deepEqual([...reference.shap(x)], [...phi], `x=${x}`);
    }
  });

  it('matches the path-walking TreeSHAP within 1e-12 on a trained AI4I ensemble (60 trees, depth 5) for 2,000 rows, and is what the classifier explains with', function () {
    const data = ai4iMatrix(generateAi4i({ rows: 4000, seed: 21 }));
    const trained = trainGbdt(data, { trees: 60, maxDepth: 5 });
    const rows = generateAi4i({ rows: 2000, seed: 22 }).map(ai4iRowFeatures);
    assert.ok(worstDifference(trained, rows) <= 1e-12);
    // And the classifier explains with these very tables.
    const classifier = createGbdtClassifier('ai4i', '1', trained);
    const fast = createFastTreeShap(compileEnsemble(trained))!;
    for (const x of rows.slice(0, 50)) assert.deepEqual([...classifier.shapVector(x)], [...fast.shap(x)]);
  });

  it(`builds tables up to ${MAX_PATH_FEATURES} unique features on a path and refuses ${MAX_PATH_FEATURES + 1}`, function () {
    assert.ok(createFastTreeShap(compileEnsemble(artifact([chain(MAX_PATH_FEATURES)], MAX_PATH_FEATURES + 1))));
    assert.equal(createFastTreeShap(compileEnsemble(artifact([chain(MAX_PATH_FEATURES + 1)], MAX_PATH_FEATURES + 1))), undefined);
  });

  it(`explains a classifier whose path has ${MAX_PATH_FEATURES + 1} unique features with the path-walking TreeSHAP (same numbers, no tables)`, function () {
    const deep = artifact([chain(MAX_PATH_FEATURES + 1), chain(2)], MAX_PATH_FEATURES + 1);
    const classifier = createGbdtClassifier('deep', '1', deep);
    const reference = createTreeShapExplainer(compileEnsemble(deep));
    const x = Array.from({ length: MAX_PATH_FEATURES + 1 }, (_, i) => (i % 2 ? 0.9 : 0.1));
    assert.deepEqual([...classifier.shapVector(x)], [...reference.shap(x)]);
  });
});
