/**
 * The service's own behaviour beyond the shared contract: model variants chosen by the proxy's
 * `X-Migrate-Variant-Payload`, a version registered while it runs (picked up without restart, its
 * missing model.onnx exported on the spot), a registry it cannot write to, and /health.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { silentLogger, type RunningService } from '@smp/platform';
import { eventually, http } from '@smp/platform/testkit';
import { openRegistry } from '@smp/ml/registry/model-registry';
import type { ModelVersionMeta } from '@smp/ml/contract';
import { parseConfig, start } from '../src/index.js';
import { createOnnxModelStore, type OnnxSource } from '../src/scoring/onnx-model-store.js';
import { variantDecision, type VariantDecision } from '../src/variants/model-variant.js';
import { CLASSIFIER, createModelFixture, useModelFixture, type ModelFixture } from './support/model-fixture.js';

const PREDICT = '/api/v1/ml/predict';
const HEALTHY = { Air_temperature_K: 298.1, Process_temperature_K: 308.6, Rotational_speed_rpm: 1551, Torque_Nm: 42.8, Tool_wear_min: 108 };

describe('variantDecision', function () {
  const cases: Array<[string | undefined, string, VariantDecision]> = [
    [undefined, 'auto', { kind: 'none' }],
    ['', 'auto', { kind: 'none' }],
    ['{"model_version":"2"}', 'auto', { kind: 'apply', version: '2' }],
    ['{"model_version":2}', 'auto', { kind: 'apply', version: '2' }],
    ['{"model_version":"2","model_name":"ai4i_classifier"}', 'auto', { kind: 'apply', version: '2' }],
    ['{"model_version":"2","model_name":"other_model"}', 'auto', { kind: 'other-model' }],
    ['{"model_version":"2"}', '1', { kind: 'explicit-version' }],
    ['{"model_version":"0"}', 'auto', { kind: 'invalid' }],
    ['{"model_version":"../2"}', 'auto', { kind: 'invalid' }],
    ['{"model_version":"2"', 'auto', { kind: 'invalid' }],
    ['"2"', 'auto', { kind: 'invalid' }],
    ['{"model_name":"ai4i_classifier"}', 'auto', { kind: 'invalid' }],
    [`{"model_version":"2","pad":"${'x'.repeat(1100)}"}`, 'auto', { kind: 'invalid' }],
  ];
  for (const [header, requested, expected] of cases) {
    it(`header ${header === undefined ? '(absent)' : JSON.stringify(header.slice(0, 60))} with model_version "${requested}" -> ${expected.kind}${expected.kind === 'apply' ? ` v${expected.version}` : ''}`, function () {
      assert.deepEqual(variantDecision(header, CLASSIFIER, requested), expected);
    });
  }
});

describe('prediction-service on a live registry', function () {
  this.timeout(60_000);
  let fixture: ModelFixture;
  let service: RunningService;

  before(async function () {
    fixture = await createModelFixture();
    // The production registry (1 s refresh), as start() opens it from MODEL_REGISTRY_DIR.
    service = await start({ config: parseConfig({ LOG_LEVEL: 'error', MODEL_REGISTRY_DIR: fixture.dir }), port: 0, logger: silentLogger() });
  });
  after(async function () {
    await service?.close();
    await fixture?.cleanup();
  });

  const predict = (body: object, headers: Record<string, string> = {}) => http(`${service.url}${PREDICT}`, { body, headers });

  it('serves "auto" with the Production version 1 and says so in model_info and X-Model-Runtime', async function () {
    const res = await predict({ model_name: CLASSIFIER, features: HEALTHY });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.model_info.model_version, '1');
    assert.equal(res.json.model_info.loaded_from, 'MLflow Model Registry');
    assert.equal(res.headers['x-model-runtime'], 'onnxruntime');
  });

  it('serves version 2 to an "auto" request carrying X-Migrate-Variant-Payload {"model_version":"2"}', async function () {
    const res = await predict({ model_name: CLASSIFIER, features: HEALTHY }, { 'x-migrate-variant-payload': '{"model_version":"2"}' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.model_info.model_version, '2');
    const direct = await predict({ model_name: CLASSIFIER, model_version: '2', features: HEALTHY });
    assert.equal(res.json.confidence, direct.json.confidence);
    assert.deepEqual(res.json.shap_values, direct.json.shap_values);
  });

  it('keeps an explicit model_version "1" despite a variant payload for version 2', async function () {
    const res = await predict({ model_name: CLASSIFIER, model_version: '1', features: HEALTHY }, { 'x-migrate-variant-payload': '{"model_version":"2"}' });
    assert.equal(res.json.model_info.model_version, '1');
  });

  it('serves "auto" (version 1) when the payload is malformed or names the unregistered version 9, and counts both', async function () {
    const bad = await predict({ model_name: CLASSIFIER, features: HEALTHY }, { 'x-migrate-variant-payload': 'model_version=2' });
    assert.equal(bad.status, 200);
    assert.equal(bad.json.model_info.model_version, '1');
    const unknown = await predict({ model_name: CLASSIFIER, features: HEALTHY }, { 'x-migrate-variant-payload': '{"model_version":"9"}' });
    assert.equal(unknown.status, 200);
    assert.equal(unknown.json.model_info.model_version, '1');
    const metrics = await http(`${service.url}/metrics`);
    assert.match(metrics.text, /prediction_model_variant_total\{outcome="invalid"[^}]*\} 1/);
    assert.match(metrics.text, /prediction_model_variant_total\{outcome="unknown-version"[^}]*\} 1/);
    assert.match(metrics.text, /prediction_model_variant_total\{outcome="applied"[^}]*\} 1/);
  });

  it('picks up version 3 registered as Production while running, exporting its missing model.onnx into the registry', async function () {
    const v3 = await fixture.addClassifierVersion('3', 'Production');
    const onnxFile = fixture.registry.artifactPath(CLASSIFIER, '3', 'model.onnx');
    await assert.rejects(fs.stat(onnxFile), /ENOENT/);
    const res = await eventually(async () => {
      const r = await predict({ model_name: CLASSIFIER, features: HEALTHY });
      assert.equal(r.json.model_info.model_version, '3');
      return r;
    }, 5_000);
    await fs.stat(onnxFile);
    const plain = (await fixture.registry.loadClassifier(CLASSIFIER, v3.version)).predict([...Object.values(HEALTHY), 1]);
    assert.deepEqual(res.json.prediction, [plain.label]);
    assert.ok(Math.abs(res.json.confidence - plain.confidence) <= 1e-5);
    const latest = await http(`${service.url}/api/v1/ml/models/${CLASSIFIER}/latest`);
    assert.equal(latest.json.resolved_version, '3');
    const metrics = await http(`${service.url}/metrics`);
    // The fixture never ran the exporter: versions 1, 2 and 3 were all exported on first use.
    assert.match(metrics.text, /prediction_onnx_sessions_loaded_total\{source="exported"[^}]*\} 3\n/);
  });

  it('answers 40 concurrent predicts (one onnxruntime batch per loop turn) exactly as it answers each alone', async function () {
    const bodies = Array.from({ length: 40 }, (_, i) => ({
      model_name: CLASSIFIER,
      model_version: i % 3 === 0 ? '2' : 'auto',
      features: { ...HEALTHY, Torque_Nm: 20 + i * 1.7, Tool_wear_min: 5 * i, Type: ['L', 'M', 'H'][i % 3] },
      explain: i % 4 !== 0,
    }));
    const strip = (json: Record<string, unknown>) => ({ ...json, timestamp: undefined, request_id: undefined });
    const together = await Promise.all(bodies.map((b) => predict(b)));
    for (let i = 0; i < bodies.length; i++) {
      const alone = await predict(bodies[i]);
      assert.equal(together[i].status, 200, together[i].text);
      assert.deepEqual(strip(together[i].json), strip(alone.json), `request ${i}`);
    }
  });

  it('answers /health with status "ok", model_registry "accessible" and a microsecond timestamp', async function () {
    const res = await http(`${service.url}/health`);
    assert.equal(res.status, 200);
    assert.equal(res.json.status, 'ok');
    assert.equal(res.json.model_registry, 'accessible');
    assert.ok(res.json.onnx_sessions >= 2);
    assert.match(res.json.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
  });
});

describe('ONNX model store', function () {
  this.timeout(60_000);
  const models = useModelFixture();

  it('serves an exported model from memory when the registry folder cannot be written, and loads it once for 20 concurrent first requests', async function () {
    const registry = openRegistry(models.fixture.dir);
    const unwritable = { loadClassifier: registry.loadClassifier, artifactPath: () => '/nonexistent-dir/for-this-test/model.onnx' };
    const sources: OnnxSource[] = [];
    const store = createOnnxModelStore({ registry: unwritable, logger: silentLogger(), onLoad: (_m, source) => sources.push(source) });
    try {
      const meta = (await registry.resolveVersion(CLASSIFIER, '1')) as ModelVersionMeta;
      const models = await Promise.all(Array.from({ length: 20 }, () => store.classifier(meta)));
      assert.ok(models.every((m) => m === models[0]));
      assert.deepEqual(sources, ['exported-in-memory']);
      const { labels } = await models[0].run(Float32Array.from([...Object.values(HEALTHY), 1]), 1);
      assert.equal(labels.length, 1);
    } finally {
      await store.close();
    }
  });

  it('loads a fresh session when version 1 is re-registered in place (new created_at)', async function () {
    const registry = openRegistry(models.fixture.dir, { refreshMs: 0 });
    const store = createOnnxModelStore({ registry, logger: silentLogger() });
    try {
      const meta = (await registry.resolveVersion(CLASSIFIER, '1')) as ModelVersionMeta;
      const first = await store.classifier(meta);
      assert.equal(await store.classifier(meta), first);
      const replaced = { ...meta, created_at: '2026-01-01T00:00:00.000Z' };
      const second = await store.classifier(replaced);
      assert.notEqual(second, first);
      assert.equal(store.size, 1);
    } finally {
      await store.close();
    }
  });
});
