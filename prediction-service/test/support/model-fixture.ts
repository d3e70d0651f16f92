/**
 * A throw-away model registry for tests, trained here from the ml library's AI4I generator so no
 * test depends on `npm run train` having been run:
 *
 *   ai4i_classifier v1   Production   40 trees, depth 4   (what "auto" resolves to)
 *   ai4i_classifier v2   Staging      80 trees, depth 5   (the variant candidate)
 *   anomaly_detector_refined_v2 v1   an isolation forest (not exportable: the exporter skips it)
 *
 *   const fixture = await createModelFixture();
 *   fixture.registry.resolveVersion('ai4i_classifier', 'auto');   // v1
 *   await fixture.addClassifierVersion('3', 'Production');          // registered while services run
 *   await fixture.cleanup();
 *
 * Inside a mocha `describe`, `const models = useModelFixture();` does the create/cleanup in
 * before/after hooks; `models.fixture` is set once the hooks ran.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ModelRegistry, ModelStage, ModelVersionMeta } from '@smp/ml/contract';
import { AI4I_FEATURE_NAMES } from '@smp/ml/classifier/ai4i-features';
import { trainGbdt, type GbdtParams } from '@smp/ml/classifier/gbdt-trainer';
import { trainIsolationForest } from '@smp/ml/anomaly/isolation-forest';
import { openRegistry } from '@smp/ml/registry/model-registry';
import { registerVersion } from '@smp/ml/registry/register-version';
import { ai4iMatrix, generateAi4i } from '@smp/ml/simulation/ai4i';
import { createRandom } from '@smp/ml/random/prng';

export const CLASSIFIER = 'ai4i_classifier';
export const FOREST = 'anomaly_detector_refined_v2';

export interface ModelFixture {
  dir: string;
  /** Re-checks the disk on every call, so versions added by a test are seen at once. */
  registry: ModelRegistry;
  addClassifierVersion(version: string, stage: ModelStage, params?: Partial<GbdtParams> & { seed?: number }): Promise<ModelVersionMeta>;
  cleanup(): Promise<void>;
}

const TRAINING: Record<string, { stage: ModelStage; rows: number; seed: number; params: GbdtParams }> = {
  '1': { stage: 'Production', rows: 4000, seed: 101, params: { trees: 40, maxDepth: 4 } },
  '2': { stage: 'Staging', rows: 6000, seed: 202, params: { trees: 80, maxDepth: 5 } },
};

function meta(name: string, version: string, stage: ModelStage, kind: string, featureNames: readonly string[], createdAt: Date): ModelVersionMeta {
  const iso = createdAt.toISOString();
  return {
    name,
    version,
    stage,
    created_at: iso,
    last_updated_at: iso,
    kind,
    description: `${name} test fixture`,
    tags: { fixture: 'true' },
    feature_names: [...featureNames],
    model_card: { purpose: 'prediction-service tests' },
  };
}

export async function createModelFixture(): Promise<ModelFixture> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'prediction-models-'));
  let clock = Date.UTC(2025, 0, 1);
  const nextDate = () => new Date((clock += 60_000));

  const addClassifierVersion: ModelFixture['addClassifierVersion'] = async (version, stage, params = {}) => {
    const { seed = 300 + Number(version), ...overrides } = params;
    const training = TRAINING[version] ?? { rows: 3000, seed, params: { trees: 30, maxDepth: 3 } };
    const artifact = trainGbdt(ai4iMatrix(generateAi4i({ rows: training.rows, seed: training.seed })), { ...training.params, ...overrides });
    const m = meta(CLASSIFIER, version, stage, 'gbdt-classifier', AI4I_FEATURE_NAMES, nextDate());
    await registerVersion(dir, m, artifact);
    return m;
  };

  for (const [version, t] of Object.entries(TRAINING)) await addClassifierVersion(version, t.stage);

  const rng = createRandom(7);
  const forestFeatures = ['value_lag_1', 'value_lag_2', 'value_lag_3', 'value_lag_4', 'value_lag_5', 'value_scaled', 'quality_scaled'];
  const x = Float32Array.from({ length: 300 * forestFeatures.length }, () => rng.normal(25, 3));
  const forest = trainIsolationForest({ x, featureNames: forestFeatures }, { trees: 10, seed: 7 });
  await registerVersion(dir, meta(FOREST, '1', 'Production', 'isolation-forest', forestFeatures, nextDate()), forest);

  return {
    dir,
    registry: openRegistry(dir, { refreshMs: 0 }),
    addClassifierVersion,
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

/** Create the fixture in a `before` hook of the enclosing describe and remove it in `after`. */
export function useModelFixture(): { fixture: ModelFixture } {
  const holder = {} as { fixture: ModelFixture };
  before(async function () {
    holder.fixture = await createModelFixture();
  });
  after(async function () {
    await holder.fixture?.cleanup();
  });
  return holder;
}
