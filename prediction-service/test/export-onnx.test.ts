/**
 * The registry exporter and its CLI on a freshly trained registry: model.onnx beside every
 * classifier version, the isolation forest skipped, identical bytes on a second run, and every
 * exported file accepted by onnx.checker (when python3-onnx is installed).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '@smp/platform/testkit';
import { exportRegistryOnnx } from '../src/onnx/registry-export.js';
import { onnxTypes } from '../src/onnx/onnx-schema.js';
import { checkerUnavailable, checkOnnxFiles } from './support/onnx-checker.js';
import { CLASSIFIER, FOREST, useModelFixture, type ModelFixture } from './support/model-fixture.js';
import { prerequisiteMissing } from './support/prerequisite.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/export-onnx.js');

describe('ONNX export of a registry', function () {
  this.timeout(60_000);
  const models = useModelFixture();
  let fixture: ModelFixture;
  before(function () {
    fixture = models.fixture;
  });

  it('writes model.onnx for ai4i_classifier v1 and v2 and skips the isolation forest with its reason', async function () {
    const outcomes = await exportRegistryOnnx(fixture.registry);
    const summary = outcomes.map((o) => `${o.name}@${o.version}:${o.status}`).sort();
    assert.deepEqual(summary, [`${CLASSIFIER}@1:written`, `${CLASSIFIER}@2:written`, `${FOREST}@1:skipped`]);
    assert.equal(outcomes.find((o) => o.name === FOREST)?.reason, 'isolation-forest is not a tree classifier');
    for (const version of ['1', '2']) {
      const file = fixture.registry.artifactPath(CLASSIFIER, version, 'model.onnx');
      const { ModelProto } = onnxTypes();
      const model = ModelProto.toObject(ModelProto.decode(await fs.readFile(file))) as { metadataProps: Array<{ key: string; value: string }> };
      assert.deepEqual(
        model.metadataProps.filter((p) => p.key !== 'feature_names'),
        [
          { key: 'model_name', value: CLASSIFIER },
          { key: 'model_version', value: version },
        ],
      );
    }
    await assert.rejects(fs.stat(fixture.registry.artifactPath(FOREST, '1', 'model.onnx')), /ENOENT/);
  });

  it('rewrites nothing on a second run: same bytes, status "unchanged", file modification time kept', async function () {
    const file = fixture.registry.artifactPath(CLASSIFIER, '2', 'model.onnx');
    const before = await fs.readFile(file);
    const mtime = (await fs.stat(file)).mtimeMs;
    const outcomes = await exportRegistryOnnx(fixture.registry);
    assert.deepEqual(outcomes.filter((o) => o.name === CLASSIFIER).map((o) => o.status), ['unchanged', 'unchanged']);
    assert.ok(before.equals(await fs.readFile(file)));
    assert.equal((await fs.stat(file)).mtimeMs, mtime);
  });

  it('every exported model passes onnx.checker.check_model(full_check=True)', async function () {
    const reason = await checkerUnavailable();
    if (reason) {
      prerequisiteMissing(this, reason);
    }
    const files = ['1', '2'].map((v) => fixture.registry.artifactPath(CLASSIFIER, v, 'model.onnx'));
    const out = await checkOnnxFiles(files);
    assert.equal(out.trim().split('\n').length, 2, out);
  });

  it('the export-onnx CLI with MODEL_REGISTRY_DIR exits 0 and reports 2 unchanged models and 1 skipped', async function () {
    const result = await runProcess(CLI, { PATH: process.env.PATH, MODEL_REGISTRY_DIR: fixture.dir }, 30_000);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 3, result.stdout);
    assert.equal(lines.filter((l) => l.startsWith('unchanged ')).length, 2, result.stdout);
    assert.match(result.stdout, /^skipped\s+anomaly_detector_refined_v2 v1 {2}isolation-forest is not a tree classifier$/m);
  });

  it('the CLI exits 1 and names the version when an artifact is corrupt, still exporting the others', async function () {
    const broken = await fixture.addClassifierVersion('7', 'None');
    await fs.writeFile(path.join(fixture.dir, CLASSIFIER, broken.version, 'model.json'), '{"format":"smp-gbdt-v1","trees":[');
    const result = await runProcess(CLI, { PATH: process.env.PATH, MODEL_REGISTRY_DIR: fixture.dir }, 30_000);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^failed\s+ai4i_classifier v7 /m);
    assert.equal(result.stdout.match(/^unchanged /gm)?.length, 2, result.stdout);
    await fs.rm(path.join(fixture.dir, CLASSIFIER, broken.version), { recursive: true });
  });
});
