/**
 * The exporter on hand-made and random ensembles: float32 threshold rounding, refused specs,
 * deterministic bytes, and onnxruntime agreeing with a float64 evaluation of the same trees.
 */
import assert from 'node:assert/strict';
import { createRandom } from '@smp/ml/random/prng';
import { onnxTypes } from '../src/onnx/onnx-schema.js';
import { loadOnnxClassifier } from '../src/onnx/onnx-classifier.js';
import {
  encodeTreeEnsembleClassifier,
  flattenTrees,
  float32Floor,
  GUARD_LEAF_WEIGHT,
  type TreeEnsembleSpec,
  type TreeNodeSpec,
} from '../src/onnx/tree-ensemble.js';

/** A seeded uniform [0, 1) stream, so every run tests the same ensembles. */
function seeded(seed: number): () => number {
  const rng = createRandom(seed);
  return () => rng.uniform();
}

/** The reference: float32 inputs compared with float64 thresholds, float64 sums, logistic. */
function reference(spec: TreeEnsembleSpec, x: ArrayLike<number>): { label: 0 | 1; p: number } {
  let margin = spec.baseLogOdds;
  for (const nodes of spec.trees) {
    let n = nodes[0];
    while (n.feature >= 0) n = nodes[Math.fround(x[n.feature]) <= n.threshold ? n.left : n.right];
    margin += n.value;
  }
  const p = 1 / (1 + Math.exp(-margin));
  return { label: p > 0.5 ? 1 : 0, p };
}

function randomTree(random: () => number, features: number, depth: number, allPositive: boolean): TreeNodeSpec[] {
  const nodes: TreeNodeSpec[] = [];
  const grow = (d: number): number => {
    const id = nodes.length;
    const leafValue = allPositive ? random() * 0.2 : (random() - 0.5) * 0.8;
    nodes.push({ feature: -1, threshold: 0, left: -1, right: -1, value: leafValue });
    if (d < depth && random() < 0.85) {
      // Thresholds with float64 digits a float32 cannot hold, as a float64 trainer would write them.
      const node = { feature: Math.floor(random() * features), threshold: (random() - 0.5) * 20 + 1e-9, left: 0, right: 0, value: 0 };
      nodes[id] = node;
      node.left = grow(d + 1);
      node.right = grow(d + 1);
    }
    return id;
  };
  grow(0);
  return nodes;
}

function randomEnsemble(seed: number, allPositive = false): TreeEnsembleSpec {
  const random = seeded(seed);
  const trees = Array.from({ length: 40 }, () => randomTree(random, 4, 4, allPositive));
  return { featureCount: 4, baseLogOdds: allPositive ? -4.2 : -1.5, trees };
}

const info = (n: number) => ({ name: 'synthetic', version: '1', featureNames: Array.from({ length: n }, (_, i) => `f${i}`) });

describe('float32Floor', function () {
  const cases: Array<[number, number]> = [
    [0.5, 0.5],
    [300.25, 300.25],
    [0.1, 0.09999999403953552],
    [-0.1, -0.10000000149011612],
    [1e-50, 0],
    [-1e-50, -(2 ** -149)],
    [1e39, 3.4028234663852886e38],
  ];
  for (const [input, expected] of cases) {
    it(`maps ${input} to ${expected}, the largest float32 not above it`, function () {
      const got = float32Floor(input);
      assert.equal(got, expected);
      assert.ok(got <= input);
      assert.equal(Math.fround(got), got);
    });
  }
});

describe('flattenTrees', function () {
  const leaf = (value: number): TreeNodeSpec => ({ feature: -1, threshold: 0, left: -1, right: -1, value });
  const bad: Array<[string, TreeEnsembleSpec, RegExp]> = [
    ['no trees', { featureCount: 2, baseLogOdds: 0, trees: [] }, /no trees/],
    ['an empty tree', { featureCount: 2, baseLogOdds: 0, trees: [[]] }, /tree 0 has no nodes/],
    ['feature 2 of 2', { featureCount: 2, baseLogOdds: 0, trees: [[{ feature: 2, threshold: 1, left: 1, right: 2, value: 0 }, leaf(1), leaf(-1)]] }, /feature 2 outside 0\.\.1/],
    ['a child pointing back to the root', { featureCount: 2, baseLogOdds: 0, trees: [[{ feature: 0, threshold: 1, left: 0, right: 1, value: 0 }, leaf(1)]] }, /child 0 is not a later node/],
    ['a NaN threshold', { featureCount: 2, baseLogOdds: 0, trees: [[{ feature: 0, threshold: NaN, left: 1, right: 2, value: 0 }, leaf(1), leaf(-1)]] }, /threshold must be finite/],
    ['an infinite leaf', { featureCount: 2, baseLogOdds: 0, trees: [[leaf(Infinity)]] }, /leaf value must be finite/],
    ['an infinite base', { featureCount: 2, baseLogOdds: -Infinity, trees: [[leaf(1)]] }, /baseLogOdds must be finite/],
  ];
  for (const [what, spec, message] of bad) {
    it(`refuses an ensemble with ${what}`, function () {
      assert.throws(() => flattenTrees(spec), message);
    });
  }

  it('adds one guard leaf of weight -2^-100 only when no leaf weight is negative', function () {
    const positive = flattenTrees({ featureCount: 1, baseLogOdds: 0, trees: [[leaf(0.2)], [leaf(0.3)]] });
    assert.deepEqual(positive.classWeights, [0.2, 0.3, GUARD_LEAF_WEIGHT]);
    assert.deepEqual(positive.nodesTreeIds, [0, 1, 2]);
    const mixed = flattenTrees({ featureCount: 1, baseLogOdds: 0, trees: [[leaf(0.2)], [leaf(-0.3)]] });
    assert.deepEqual(mixed.classWeights, [0.2, -0.3]);
  });
});

describe('encodeTreeEnsembleClassifier', function () {
  it('writes the same bytes twice for the same ensemble, with opsets 17 and ai.onnx.ml 3', function () {
    const spec = randomEnsemble(7);
    const a = encodeTreeEnsembleClassifier(spec, info(4));
    const b = encodeTreeEnsembleClassifier(spec, info(4));
    assert.ok(Buffer.from(a).equals(Buffer.from(b)));
    const { ModelProto } = onnxTypes();
    const decoded = ModelProto.toObject(ModelProto.decode(a), { longs: Number, bytes: String }) as {
      irVersion: number;
      opsetImport: Array<{ domain: string; version: number }>;
      graph: { node: Array<{ opType: string; domain: string; attribute: Array<{ name: string }> }> };
      metadataProps: Array<{ key: string; value: string }>;
    };
    assert.equal(decoded.irVersion, 8);
    assert.deepEqual(decoded.opsetImport, [{ domain: '', version: 17 }, { domain: 'ai.onnx.ml', version: 3 }]);
    assert.equal(decoded.graph.node[0].opType, 'TreeEnsembleClassifier');
    assert.equal(decoded.graph.node[0].domain, 'ai.onnx.ml');
    assert.ok(decoded.graph.node[0].attribute.some((attr) => attr.name === 'post_transform'));
    assert.deepEqual(decoded.metadataProps.find((p) => p.key === 'feature_names')?.value, '["f0","f1","f2","f3"]');
  });

  it('refuses 3 feature names for a 4-feature ensemble', function () {
    assert.throws(() => encodeTreeEnsembleClassifier(randomEnsemble(1), info(3)), /3 feature names for 4 features/);
  });

  for (const [seed, allPositive] of [
    [11, false],
    [12, false],
    [13, true],
  ] as const) {
    it(`agrees with a float64 evaluation on 3,000 inputs (seed ${seed}${allPositive ? ', no negative leaf' : ''}): same labels, P(1) within 1e-5`, async function () {
      const spec = randomEnsemble(seed, allPositive);
      const model = await loadOnnxClassifier(encodeTreeEnsembleClassifier(spec, info(4)), 4);
      try {
        const random = seeded(seed * 31);
        const thresholds = spec.trees.flat().filter((n) => n.feature >= 0).map((n) => n.threshold);
        const count = 3000;
        const rows = new Float32Array(count * 4);
        for (let i = 0; i < rows.length; i++) {
          // A third of the values sit exactly on (the float32 neighbours of) split thresholds.
          const r = random();
          const t = thresholds[Math.floor(random() * thresholds.length)];
          rows[i] = r < 0.33 ? Math.fround(t) : r < 0.5 ? float32Floor(t) : (random() - 0.5) * 24;
        }
        const { labels, probabilities } = await model.run(rows, count);
        let worst = 0;
        let positives = 0;
        for (let i = 0; i < count; i++) {
          const expected = reference(spec, rows.subarray(i * 4, i * 4 + 4));
          assert.equal(labels[i], expected.label, `row ${i}`);
          worst = Math.max(worst, Math.abs(probabilities[i] - expected.p));
          positives += expected.label;
        }
        assert.ok(worst <= 1e-5, `largest |ΔP(1)| ${worst}`);
        assert.ok(positives > 0 && positives < count, `both labels occur (${positives} positives)`);
      } finally {
        await model.close();
      }
    });
  }
});
