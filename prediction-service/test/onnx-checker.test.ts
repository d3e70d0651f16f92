/**
 * Hand-made ensembles pass `onnx.checker.check_model(full_check=True)`, and a broken one does not
 * (registry exports are checked in export-onnx.test.ts). Skipped when python3-onnx is absent.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { onnxTypes } from '../src/onnx/onnx-schema.js';
import { encodeTreeEnsembleClassifier, treeEnsembleClassifierModel } from '../src/onnx/tree-ensemble.js';
import { checkerUnavailable, checkOnnxFiles } from './support/onnx-checker.js';
import { prerequisiteMissing } from './support/prerequisite.js';

describe('onnx.checker on exported models', function () {
  this.timeout(60_000);
  let dir: string;

  before(async function () {
    const reason = await checkerUnavailable();
    if (reason) {
      prerequisiteMissing(this, reason);
    }
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'onnx-checker-'));
  });
  after(async function () {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('accepts a 3-tree ensemble over 2 features and one without a negative leaf (guard tree added)', async function () {
    const leaf = (value: number) => ({ feature: -1, threshold: 0, left: -1, right: -1, value });
    const split = (feature: number, threshold: number) => ({ feature, threshold, left: 1, right: 2, value: 0 });
    const mixed = { featureCount: 2, baseLogOdds: -2, trees: [[split(0, 300.1), leaf(-0.2), leaf(0.4)], [split(1, 1.5), leaf(0.1), leaf(-0.3)], [leaf(0.05)]] };
    const positive = { ...mixed, trees: [[split(0, 300.1), leaf(0.2), leaf(0.4)]] };
    const files = [path.join(dir, 'mixed.onnx'), path.join(dir, 'positive.onnx')];
    await fs.writeFile(files[0], encodeTreeEnsembleClassifier(mixed, { name: 'm', version: '1', featureNames: ['a', 'b'] }));
    await fs.writeFile(files[1], encodeTreeEnsembleClassifier(positive, { name: 'm', version: '2', featureNames: ['a', 'b'] }));
    const out = await checkOnnxFiles(files);
    assert.equal(out.trim().split('\n').length, 2, out);
  });

  it('rejects the same model with its operator misspelt "TreeEnsembleClassifer" (the checker is not a rubber stamp)', async function () {
    const file = path.join(dir, 'misspelt.onnx');
    const leaf = (value: number) => ({ feature: -1, threshold: 0, left: -1, right: -1, value });
    const model = treeEnsembleClassifierModel(
      { featureCount: 1, baseLogOdds: 0, trees: [[{ feature: 0, threshold: 1, left: 1, right: 2, value: 0 }, leaf(1), leaf(-1)]] },
      { name: 'm', version: '1', featureNames: ['a'] },
    ) as { graph: { node: Array<{ opType: string }> } };
    model.graph.node[0].opType = 'TreeEnsembleClassifer';
    const { ModelProto } = onnxTypes();
    await fs.writeFile(file, ModelProto.encode(ModelProto.fromObject(model)).finish());
    await assert.rejects(checkOnnxFiles([file]), /TreeEnsembleClassifer/);
  });
});
