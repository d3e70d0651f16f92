import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppError } from '@smp/platform';
import type { ModelStage, ModelVersionMeta } from '../src/contract.js';
import { openRegistry } from '../src/registry/model-registry.js';
import { defaultModelsDir, modelRegistryDirEnv } from '../src/registry/models-dir.js';
import { registerVersion } from '../src/registry/register-version.js';
import { isValidModelName, resolveAuto } from '../src/registry/version-order.js';
import { trainGbdt } from '../src/classifier/gbdt-trainer.js';
import { ai4iMatrix, generateAi4i } from '../src/simulation/ai4i.js';

function meta(name: string, version: string, stage: ModelStage, kind = 'gbdt-classifier'): ModelVersionMeta {
  return { name, version, stage, created_at: '2025-01-01T00:00:00.000Z', last_updated_at: '2025-01-01T00:00:00.000Z', kind, description: `${name} v${version}`, tags: {}, feature_names: ['a'], model_card: {} };
}

describe('model version resolution (pure)', () => {
  const cases: [string, [string, ModelStage][], string | undefined][] = [
    ['Production wins over a newer Staging', [['1', 'Production'], ['2', 'Staging'], ['3', 'None']], '1'],
    ['the newest of two Production versions', [['1', 'Production'], ['4', 'Production'], ['3', 'Staging']], '4'],
    ['Staging when there is no Production', [['1', 'Staging'], ['2', 'None'], ['10', 'Archived']], '1'],
    ['the newest by number (10 > 9) when no stage is set', [['9', 'None'], ['10', 'None']], '10'],
    ['nothing for no versions', [], undefined],
  ];
  for (const [name, versions, expected] of cases) {
    it(`auto picks ${name}: ${expected ?? 'undefined'}`, () => {
      assert.equal(resolveAuto(versions.map(([version, stage]) => ({ version, stage })))?.version, expected);
    });
  }
  const names: [string, boolean][] = [
    ['ai4i_classifier', true],
    ['anomaly_detector_refined_v2', true],
    ['../etc', false],
    ['a/b', false],
    ['.hidden', false],
    ['', false],
  ];
  for (const [name, ok] of names) it(`${JSON.stringify(name)} is ${ok ? 'a valid' : 'not a'} model name`, () => assert.equal(isValidModelName(name), ok));
});

describe('on-disk model registry', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'smp-registry-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists versions 10, 2, 1 newest first and resolves auto to the Production one (2)', async () => {
    await registerVersion(dir, meta('m', '1', 'Staging'), {});
    await registerVersion(dir, meta('m', '2', 'Production'), {});
    await registerVersion(dir, meta('m', '10', 'None'), {});
    const registry = openRegistry(dir);
    assert.deepEqual((await registry.listVersions('m'))?.map((v) => v.version), ['10', '2', '1']);
    assert.equal((await registry.resolveVersion('m', 'auto'))?.version, '2');
    assert.equal((await registry.resolveVersion('m', '10'))?.stage, 'None');
    assert.equal(await registry.resolveVersion('m', '3'), undefined);
    assert.equal(await registry.listVersions('unknown'), undefined);
    assert.equal(await registry.listVersions('../m'), undefined);
    const models = await registry.listModels();
    assert.deepEqual(models.map((m) => [m.name, m.description, m.versions.length]), [['m', 'm v10', 3]]);
  });

  it('picks up a newly registered version 3 (Production) without reopening, once refreshMs=1000 has passed', async () => {
    let clock = 0;
    await registerVersion(dir, meta('m', '1', 'Production'), {});
    const registry = openRegistry(dir, { refreshMs: 1000, now: () => clock });
    assert.equal((await registry.resolveVersion('m', 'auto'))?.version, '1');
    await registerVersion(dir, meta('m', '3', 'Production'), {});
    clock = 999;
    assert.equal((await registry.resolveVersion('m', 'auto'))?.version, '1', 'still cached within 1 s');
    clock = 1000;
    assert.equal((await registry.resolveVersion('m', 'auto'))?.version, '3');
  });

  it('sees a stage change written into an existing meta.json (Staging -> Production) with refreshMs=0', async () => {
    await registerVersion(dir, meta('m', '1', 'Production'), {});
    await registerVersion(dir, meta('m', '2', 'Staging'), {});
    const registry = openRegistry(dir, { refreshMs: 0 });
    assert.equal((await registry.resolveVersion('m', 'auto'))?.version, '1');
    const file = path.join(dir, 'm', '2', 'meta.json');
    await writeFile(file, JSON.stringify(meta('m', '2', 'Production'), null, 2));
    await utimes(file, new Date(), new Date(Date.now() + 5000)); // a distinct mtime even on coarse clocks
    assert.equal((await registry.resolveVersion('m', 'auto'))?.version, '2');
  });

  it('writes atomically: no temporary folder is left, a second write of version 1 is refused unless replace, and an identical replace keeps model.onnx', async () => {
    await registerVersion(dir, meta('m', '1', 'None'), { x: 1 });
    await assert.rejects(registerVersion(dir, meta('m', '1', 'None'), { x: 2 }), /already exists/);
    await registerVersion(dir, meta('m', '1', 'Staging'), { x: 3 }, { replace: true });
    assert.deepEqual(await readdir(path.join(dir, 'm')), ['1']);
    assert.equal((await openRegistry(dir).resolveVersion('m', '1'))?.stage, 'Staging');
    // An identical re-registration keeps files stored beside the artifact; a changed one drops them.
    await writeFile(path.join(dir, 'm', '1', 'model.onnx'), 'onnx');
    await registerVersion(dir, meta('m', '1', 'Staging'), { x: 3 }, { replace: true });
    assert.deepEqual((await readdir(path.join(dir, 'm', '1'))).sort(), ['meta.json', 'model.json', 'model.onnx']);
    await registerVersion(dir, meta('m', '1', 'Staging'), { x: 4 }, { replace: true });
    assert.deepEqual((await readdir(path.join(dir, 'm', '1'))).sort(), ['meta.json', 'model.json']);
    await assert.rejects(registerVersion(dir, meta('m', '01', 'None'), {}), RangeError);
  });

  it('ignores a version folder without meta.json and one whose meta.json is not JSON', async () => {
    await registerVersion(dir, meta('m', '1', 'None'), {});
    await import('node:fs/promises').then(async (fs) => {
      await fs.mkdir(path.join(dir, 'm', '2'));
      await fs.mkdir(path.join(dir, 'm', '3'));
      await fs.writeFile(path.join(dir, 'm', '3', 'meta.json'), '{ not json');
    });
    assert.deepEqual((await openRegistry(dir).listVersions('m'))?.map((v) => v.version), ['1']);
  });

  it('loads a classifier once per version (same instance), 404s an unknown version and 400s a wrong kind', async () => {
    const art = trainGbdt(ai4iMatrix(generateAi4i({ rows: 300, seed: 1 })), { trees: 3, maxDepth: 2 });
    await registerVersion(dir, { ...meta('clf', '1', 'Production'), feature_names: art.feature_names }, art);
    await registerVersion(dir, meta('forest', '1', 'Production', 'isolation-forest'), {});
    const registry = openRegistry(dir);
    const a = await registry.loadClassifier('clf', 'auto');
    assert.equal(a, await registry.loadClassifier('clf', '1'));
    assert.equal(a.version, '1');
    await assert.rejects(registry.loadClassifier('clf', '7'), (e: unknown) => e instanceof AppError && e.status === 404 && e.message === "Model 'clf' version '7' not found in MLflow Registry");
    await assert.rejects(registry.loadClassifier('forest', 'auto'), (e: unknown) => e instanceof AppError && e.status === 400);
  });

  it('gives artifactPath <dir>/m/2/model.onnx and refuses "../x" as a file', () => {
    const registry = openRegistry(dir);
    assert.equal(registry.artifactPath('m', '2', 'model.onnx'), path.join(dir, 'm', '2', 'model.onnx'));
    assert.throws(() => registry.artifactPath('m', '2', '../x'), RangeError);
    assert.throws(() => registry.artifactPath('m', 'auto', 'model.onnx'), RangeError);
  });

  it('lists no models for a registry folder that does not exist', async () => {
    assert.deepEqual(await openRegistry(path.join(dir, 'missing')).listModels(), []);
  });
});

describe('the committed registry (<repo>/models)', () => {
  it('resolves ai4i_classifier auto to v2 (Production) and anomaly_detector_refined_v2 auto to v1', async () => {
    const registry = openRegistry(defaultModelsDir());
    assert.ok(defaultModelsDir().endsWith(`${path.sep}models`));
    assert.equal((await registry.resolveVersion('ai4i_classifier', 'auto'))?.version, '2');
    assert.equal((await registry.resolveVersion('ai4i_classifier', '1'))?.stage, 'Staging');
    assert.equal((await registry.resolveVersion('anomaly_detector_refined_v2', 'auto'))?.version, '1');
    const forest = await registry.loadAnomalyModel('anomaly_detector_refined_v2', 'auto');
    assert.equal(forest.featureNames.length, 7);
  });
});

describe('MODEL_REGISTRY_DIR config field', () => {
  const cases: [string | undefined, string][] = [
    [undefined, defaultModelsDir()],
    ['', defaultModelsDir()],
    ['   ', defaultModelsDir()],
    ['/srv/models', '/srv/models'],
    ['registry/models', path.resolve('registry/models')],
    [' /srv/models/ ', '/srv/models'],
  ];
  for (const [input, expected] of cases) {
    it(`reads ${JSON.stringify(input)} as ${expected}`, () => {
      assert.equal(modelRegistryDirEnv().parse(input), expected);
    });
  }
});
