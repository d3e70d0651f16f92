/**
 * Parity of the ONNX path with the monolith's plain-TypeScript path, scorer against scorer (the
 * exact two code paths the services plug into the shared predict operation), on 10,000 vectors per
 * model version: 8,000 generated AI4I rows and 2,000 extremes (see support/feature-vectors.ts).
 * Required: identical prediction, confidence within 1e-5 (float32 against float64), shap_values
 * within 1e-4. The largest differences seen are printed with where they occurred.
 *
 * Run on the versions trained by the test fixture and on a copy of the repository's own registry
 * (`models/`, as `npm run train` left it; skipped with the reason when it has no classifier).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@smp/platform';
import { registryScorer, type PredictScorer } from '@smp/ml/service/predict';
import type { GbdtClassifier } from '@smp/ml/classifier/gbdt-classifier';
import type { ModelRegistry, ModelVersionMeta } from '@smp/ml/contract';
import { defaultModelsDir } from '@smp/ml/registry/models-dir';
import { openRegistry } from '@smp/ml/registry/model-registry';
import { createOnnxModelStore, type OnnxModelStore } from '../src/scoring/onnx-model-store.js';
import { onnxScorer } from '../src/scoring/onnx-scorer.js';
import { parityVectors } from './support/feature-vectors.js';
import { CLASSIFIER, createModelFixture, type ModelFixture } from './support/model-fixture.js';
import { prerequisiteMissing } from './support/prerequisite.js';

const VECTORS = { realistic: 8000, extreme: 2000, seed: 4242 };

/** Score 10,000 vectors with both scorers; assert and print the largest differences. */
async function assertParity(registry: ModelRegistry, onnx: PredictScorer, label: string, meta: ModelVersionMeta): Promise<void> {
  const plain = registryScorer(registry);
  const classifier = (await registry.loadClassifier(meta.name, meta.version)) as GbdtClassifier;
  const vectors = parityVectors(classifier.artifact, VECTORS);
  assert.equal(vectors.length, 10_000);
  let labelMismatches = 0;
  let positives = 0;
  const worstConfidence = { diff: 0, index: -1 };
  const worstShap = { diff: 0, index: -1, feature: '' };
  for (let i = 0; i < vectors.length; i++) {
    const [a, b] = await Promise.all([onnx.score(meta, vectors[i], true), plain.score(meta, vectors[i], true)]);
    if (a.label !== b.label) labelMismatches += 1;
    positives += b.label;
    const dc = Math.abs(a.confidence - b.confidence);
    if (dc > worstConfidence.diff) Object.assign(worstConfidence, { diff: dc, index: i });
    assert.deepEqual(Object.keys(a.shap ?? {}), Object.keys(b.shap ?? {}));
    for (const [feature, value] of Object.entries(b.shap ?? {})) {
      const ds = Math.abs((a.shap?.[feature] ?? NaN) - value);
      if (!(ds <= worstShap.diff)) Object.assign(worstShap, { diff: ds, index: i, feature });
    }
  }
  console.log(
    `      ${label}: ${vectors.length} vectors, ${positives} predicted failures, ${labelMismatches} prediction mismatches; ` +
      `largest |Δconfidence| ${worstConfidence.diff.toExponential(2)} (vector ${worstConfidence.index}), ` +
      `largest |Δshap| ${worstShap.diff.toExponential(2)}${worstShap.index >= 0 ? ` (vector ${worstShap.index}, ${worstShap.feature})` : ''}`,
  );
  assert.equal(labelMismatches, 0);
  assert.ok(positives > 0 && positives < vectors.length, 'both classes are predicted');
  assert.ok(worstConfidence.diff <= 1e-5, `largest |Δconfidence| ${worstConfidence.diff}`);
  assert.ok(worstShap.diff <= 1e-4, `largest |Δshap| ${worstShap.diff}`);
}

describe('ONNX parity with the plain-TypeScript classifier (test fixture versions)', function () {
  this.timeout(90_000);
  let fixture: ModelFixture;
  let store: OnnxModelStore;
  let onnx: PredictScorer;

  before(async function () {
    fixture = await createModelFixture();
    store = createOnnxModelStore({ registry: fixture.registry, logger: silentLogger() });
    onnx = onnxScorer({ store, registry: fixture.registry });
  });
  after(async function () {
    await store?.close();
    await fixture?.cleanup();
  });

  for (const version of ['1', '2']) {
    it(`ai4i_classifier v${version}: identical prediction on 10,000 vectors, confidence within 1e-5, shap_values within 1e-4`, async function () {
      const meta = (await fixture.registry.resolveVersion(CLASSIFIER, version)) as ModelVersionMeta;
      await assertParity(fixture.registry, onnx, `fixture v${version}`, meta);
    });
  }

  it('one session.run over 10,000 rows gives the same labels and P(1) as 10,000 single-row runs (v2)', async function () {
    const meta = (await fixture.registry.resolveVersion(CLASSIFIER, '2')) as ModelVersionMeta;
    const classifier = (await fixture.registry.loadClassifier(CLASSIFIER, '2')) as GbdtClassifier;
    const vectors = parityVectors(classifier.artifact, VECTORS);
    const model = await store.classifier(meta);
    const batch = await model.run(Float32Array.from(vectors.flat()), vectors.length);
    for (let i = 0; i < vectors.length; i++) {
      const single = await model.run(Float32Array.from(vectors[i]), 1);
      assert.equal(batch.labels[i], single.labels[0], `row ${i}`);
      assert.equal(batch.probabilities[i], single.probabilities[0], `row ${i}`);
    }
  });
});

describe('ONNX parity with the plain-TypeScript classifier (a copy of the repository registry)', function () {
  this.timeout(90_000);
  let dir: string | undefined;
  let registry: ModelRegistry;
  let store: OnnxModelStore | undefined;
  let versions: ModelVersionMeta[] = [];

  before(async function () {
    const source = defaultModelsDir();
    const found = (await openRegistry(source).listVersions(CLASSIFIER)) ?? [];
    if (found.length === 0) {
      prerequisiteMissing(this, `no ${CLASSIFIER} in ${source} (run \`npm run train\`)`);
    }
    // A copy: serving may export model.onnx into the registry, and a test must not touch the repository.
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'prediction-repo-models-'));
    await fs.cp(path.join(source, CLASSIFIER), path.join(dir, CLASSIFIER), { recursive: true });
    registry = openRegistry(dir);
    versions = (await registry.listVersions(CLASSIFIER)) ?? [];
    store = createOnnxModelStore({ registry, logger: silentLogger() });
  });
  after(async function () {
    await store?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('every ai4i_classifier version in models/: identical prediction on 10,000 vectors, confidence within 1e-5, shap_values within 1e-4', async function () {
    assert.ok(versions.length > 0);
    const onnx = onnxScorer({ store: store!, registry });
    for (const meta of versions) await assertParity(registry, onnx, `models/ v${meta.version}`, meta);
  });
});
