import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ai4iFeatureVector } from '../src/classifier/ai4i-features.js';
import { createGbdtClassifier, type GbdtClassifier } from '../src/classifier/gbdt-classifier.js';
import { trainGbdt } from '../src/classifier/gbdt-trainer.js';
import { compileEnsemble, sigmoid, type GbdtArtifact } from '../src/classifier/tree-ensemble.js';
import { float32Midpoint, shortestFloat32 } from '../src/numeric/float32.js';
import { openRegistry } from '../src/registry/model-registry.js';
import { defaultModelsDir } from '../src/registry/models-dir.js';
import { ai4iMatrix, generateAi4i } from '../src/simulation/ai4i.js';
import { AI4I_HELD_OUT, AI4I_VERSIONS, ai4iClassifierRecipe, anomalyDetectorRecipe, evaluateClassifier } from '../src/training/model-recipes.js';

describe('AI4I classifier (gradient-boosted trees)', () => {
  const registry = openRegistry(defaultModelsDir());
  const held = ai4iMatrix(generateAi4i(AI4I_HELD_OUT));
  let v1: GbdtClassifier;
  let v2: GbdtClassifier;
  before(async () => {
    v1 = (await registry.loadClassifier('ai4i_classifier', '1')) as GbdtClassifier;
    v2 = (await registry.loadClassifier('ai4i_classifier', '2')) as GbdtClassifier;
  });

  it('v2 reaches F1 ≥ 0.6 on the failure class and ROC-AUC ≥ 0.95 on 3,000 held-out rows', () => {
    const m = evaluateClassifier(v2.artifact, held.x, held.y);
    assert.equal(m.rows, 3000);
    assert.ok(m.f1 >= 0.6, `F1 ${m.f1}`);
    assert.ok(m.roc_auc >= 0.95, `AUC ${m.roc_auc}`);
    assert.ok(m.accuracy >= 0.98, `accuracy ${m.accuracy}`);
  });

  it('v2 beats v1 on F1 (by ≥ 0.1) and on ROC-AUC over the same 3,000 held-out rows', () => {
    const m1 = evaluateClassifier(v1.artifact, held.x, held.y);
    const m2 = evaluateClassifier(v2.artifact, held.x, held.y);
    assert.ok(m2.f1 >= m1.f1 + 0.1, `F1 v1 ${m1.f1}, v2 ${m2.f1}`);
    assert.ok(m2.roc_auc > m1.roc_auc, `AUC v1 ${m1.roc_auc}, v2 ${m2.roc_auc}`);
  });

  it('predicts failure for a hot, slow, high-torque worn tool and no failure for a nominal process', () => {
    const failing = ai4iFeatureVector({ Air_temperature_K: 302.5, Process_temperature_K: 310.6, Rotational_speed_rpm: 1290, Torque_Nm: 62, Tool_wear_min: 210, Type: 'L' }).vector;
    const nominal = ai4iFeatureVector({ Air_temperature_K: 300, Process_temperature_K: 310, Rotational_speed_rpm: 1540, Torque_Nm: 40, Tool_wear_min: 50 }).vector;
    const f = v2.predict(failing);
    const n = v2.predict(nominal);
    assert.equal(f.label, 1);
    assert.equal(n.label, 0);
    assert.equal(f.confidence, f.probability);
    assert.equal(n.confidence, 1 - n.probability);
    assert.equal(n.probability, sigmoid(v2.margin(nominal)));
  });

  it('stores float32 thresholds, leaf values and base score, and per-node covers summing to their parent', () => {
    const a = v2.artifact;
    assert.equal(Math.fround(a.base_score), Math.fround(shortestFloat32(a.base_score)));
    for (const t of a.trees) {
      t.feature.forEach((f, i) => {
        if (f < 0) return;
        assert.equal(t.cover[i], t.cover[t.left[i]] + t.cover[t.right[i]]);
      });
      assert.equal(t.cover[0], 10_000);
    }
  });

  it('rounds inputs to float32 before comparing: a value in float64 just above a threshold but equal in float32 goes left', () => {
    // One stump on feature 0 at 300.1 (float32): 300.1 + 1e-6 rounds to the same float32.
    const t = Math.fround(300.1);
    const art: GbdtArtifact = { format: 'smp-gbdt-v1', objective: 'binary:logistic', feature_names: ['a'], base_score: 0, trees: [{ feature: [0, -1, -1], threshold: [t, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, -1, 1], cover: [2, 1, 1] }] };
    const e = compileEnsemble(art);
    const cases: [number, number][] = [
      [t, -1],
      [t + 1e-6, -1],
      [t - 1e-6, -1],
      [Math.fround(t + 1e-4), 1],
    ];
    for (const [x, expected] of cases) assert.equal(e.margin([x]), expected, `x = ${x}`);
  });

  const midpoints: [number, number][] = [
    [1, 2],
    [300.1, 300.2],
    [Math.fround(0.1), 0.1 + 2 ** -26], // neighbours in float32: the midpoint rounds onto b
  ];
  for (const [a0, b0] of midpoints) {
    it(`float32Midpoint(${a0}, ${b0}) is a float32 t with a <= t < b`, () => {
      const a = Math.fround(a0);
      const b = Math.fround(b0);
      const t = float32Midpoint(a, b);
      assert.equal(Math.fround(t), t);
      assert.ok(a <= t && t < b);
    });
  }

  it('trains deterministically: 30 trees of depth 3 on 2,000 rows twice give identical artifacts', () => {
    const data = ai4iMatrix(generateAi4i({ rows: 2000, seed: 5 }));
    assert.deepEqual(trainGbdt(data, { trees: 30, maxDepth: 3 }), trainGbdt(data, { trees: 30, maxDepth: 3 }));
  });

  it('routes every training row through the compiled model exactly as the trainer did (margins agree to 1e-12)', () => {
    const data = ai4iMatrix(generateAi4i({ rows: 1500, seed: 6 }));
    const art = trainGbdt(data, { trees: 10, maxDepth: 4 });
    const clf = createGbdtClassifier('t', '1', art);
    // Rebuild the trainer's final margins from leaf assignment: each tree adds the leaf the row reaches.
    for (let i = 0; i < 1500; i++) {
      const x = data.x.subarray(i * 6, i * 6 + 6);
      let m = Math.fround(art.base_score);
      for (const t of art.trees) {
        let node = 0;
        while (t.feature[node] >= 0) node = x[t.feature[node]] <= t.threshold[node] ? t.left[node] : t.right[node];
        m += t.value[node];
      }
      assert.ok(Math.abs(m - clf.margin(x)) < 1e-12);
    }
  });

  it('maps a request: missing Rotational_speed_rpm and an unknown Type "X" are both reported missing; Type defaults to M (1)', () => {
    assert.deepEqual(ai4iFeatureVector({ Air_temperature_K: 1, Process_temperature_K: 2, Torque_Nm: 4, Tool_wear_min: 5, Type: 'X' }).missing, ['Rotational_speed_rpm', 'Type']);
    assert.deepEqual(ai4iFeatureVector({ Air_temperature_K: 1, Process_temperature_K: 2, Rotational_speed_rpm: 3, Torque_Nm: 4, Tool_wear_min: 5 }), { vector: [1, 2, 3, 4, 5, 1], missing: [] });
  });

  it('refuses a 5-feature vector with a RangeError naming the 6 it needs', () => {
    assert.throws(() => v2.predict([1, 2, 3, 4, 5]), /takes 6 features, got 5/);
  });
});

describe('npm run train reproducibility', () => {
  const dir = defaultModelsDir();
  const cases = [
    ['ai4i_classifier', '1', () => ai4iClassifierRecipe(AI4I_VERSIONS[0])],
    ['ai4i_classifier', '2', () => ai4iClassifierRecipe(AI4I_VERSIONS[1])],
    ['anomaly_detector_refined_v2', '1', () => anomalyDetectorRecipe()],
  ] as const;
  for (const [name, version, recipe] of cases) {
    it(`retraining ${name} v${version} reproduces the committed meta.json and model.json byte for byte`, async () => {
      const r = recipe();
      assert.equal(await readFile(path.join(dir, name, version, 'model.json'), 'utf8'), `${JSON.stringify(r.artifact)}\n`);
      assert.equal(await readFile(path.join(dir, name, version, 'meta.json'), 'utf8'), `${JSON.stringify(r.meta, null, 2)}\n`);
    });
  }
});
