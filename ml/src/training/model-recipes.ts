/**
 * How every registered model is made: data, seeds, hyperparameters, held-out evaluation and the
 * model card, as pure functions. `npm run train` (cli/train.ts) only writes what these return, so
 * a test can rebuild a version and compare it byte for byte with the committed registry.
 *
 *   const { meta, artifact } = ai4iClassifierRecipe(AI4I_VERSIONS[1]);   // version "2"
 *
 * Timestamps come from `TRAINED_AT`, a constant, so retraining changes no file unless the code did.
 */
import { ai4iMatrix, AI4I_RULES, generateAi4i } from '../simulation/ai4i.js';
import { generateSensorFleet, SENSOR_FLEET_RULES, seriesAnomalyFeatures } from '../simulation/sensor-series.js';
import { simulateAnomalyEvent, simulateNormalData } from '../simulation/sensor-events.js';
import { trainGbdt, type GbdtParams } from '../classifier/gbdt-trainer.js';
import { createGbdtClassifier } from '../classifier/gbdt-classifier.js';
import { compactGbdtArtifact, type GbdtArtifact } from '../classifier/tree-ensemble.js';
import { binaryMetrics, type BinaryMetrics } from '../evaluation/classification-metrics.js';
import { ANOMALY_FEATURE_NAMES } from '../anomaly/anomaly-features.js';
import { compactIsolationForestArtifact, compileIsolationForest, trainIsolationForest, type IsolationForestArtifact } from '../anomaly/isolation-forest.js';
import { createRandom } from '../random/prng.js';
import type { ModelStage, ModelVersionMeta, SimulatedReading } from '../contract.js';
import { GBDT_KIND, IFOREST_KIND } from '../registry/model-registry.js';

/** The fixed "training time" written into every meta.json (keeps retraining byte-identical). */
export const TRAINED_AT = '2025-08-21T09:00:00.000Z';

export const AI4I_MODEL_NAME = 'ai4i_classifier';
export const ANOMALY_MODEL_NAME = 'anomaly_detector_refined_v2';

export const AI4I_TRAINING = Object.freeze({ rows: 10_000, seed: 2020 });
export const AI4I_HELD_OUT = Object.freeze({ rows: 3_000, seed: 2021 });

export interface Ai4iVersionSpec {
  version: string;
  stage: ModelStage;
  params: GbdtParams;
  description: string;
}

/** The classifier versions `npm run train` writes. */
export const AI4I_VERSIONS: readonly Ai4iVersionSpec[] = Object.freeze([
  {
    version: '1',
    stage: 'Staging',
    params: { trees: 20, maxDepth: 2, learningRate: 0.3 },
    description: 'AI4I machine-failure classifier, small baseline: 20 boosted trees of depth 2',
  },
  {
    version: '2',
    stage: 'Production',
    params: { trees: 150, maxDepth: 5, learningRate: 0.1 },
    description: 'AI4I machine-failure classifier: 150 boosted trees of depth 5',
  },
]);

export const ANOMALY_TRAINING = Object.freeze({ series: 300, length: 50, seed: 3, end: '2025-08-20T00:00:00.000Z' });
export const ANOMALY_HELD_OUT = Object.freeze({ series: 100, length: 50, seed: 1003, end: '2025-08-20T12:00:00.000Z' });
export const ANOMALY_FOREST = Object.freeze({ trees: 100, maxSamples: 256, contamination: 0.05, seed: 42 });

export interface RecipeResult<A> {
  meta: ModelVersionMeta;
  artifact: A;
  /** Held-out figures, also in the model card. */
  metrics: Record<string, number>;
  trainMs: number;
}

export function ai4iClassifierRecipe(spec: Ai4iVersionSpec, clock: () => number = () => 0): RecipeResult<GbdtArtifact> {
  const trainRows = generateAi4i(AI4I_TRAINING);
  const heldRows = generateAi4i(AI4I_HELD_OUT);
  const train = ai4iMatrix(trainRows);
  const t0 = clock();
  const artifact = compactGbdtArtifact(trainGbdt(train, spec.params));
  const trainMs = clock() - t0;
  const held = ai4iMatrix(heldRows);
  const m = evaluateClassifier(artifact, held.x, held.y);
  const metrics = { accuracy: round4(m.accuracy), precision: round4(m.precision), recall: round4(m.recall), f1_failure: round4(m.f1), roc_auc: round4(m.roc_auc) };
  const count = (rows: typeof trainRows, k: 'twf' | 'hdf' | 'pwf' | 'osf' | 'rnf' | 'machine_failure'): number => rows.reduce((s, r) => s + r[k], 0);
  const meta: ModelVersionMeta = {
    name: AI4I_MODEL_NAME,
    version: spec.version,
    stage: spec.stage,
    created_at: TRAINED_AT,
    last_updated_at: TRAINED_AT,
    kind: GBDT_KIND,
    description: spec.description,
    tags: { task: 'binary-classification', dataset: 'ai4i-2020-synthetic', framework: '@smp/ml gbdt', onnx_exportable: 'true' },
    feature_names: [...artifact.feature_names],
    model_card: {
      model_type: `Gradient-boosted decision trees, binary log-loss: ${spec.params.trees} trees of depth ≤ ${spec.params.maxDepth}`,
      why_this_model: 'Exportable to ONNX (ai.onnx.ml TreeEnsembleClassifier, BRANCH_LEQ) and explainable exactly (TreeSHAP over per-node training covers).',
      training_data: {
        description: 'Synthetic AI4I 2020 predictive-maintenance processes generated from the published rules (Matzka 2020): Type L/M/H 50/30/20 %, air 300 K ± 2 and process = air + 10 K ± 1 (normalised AR(1) walks), torque N(40, 10) Nm, speed falling from 2860 rpm with torque plus noise, tool wear +5/+3/+2 min (H/M/L) with tool change at 200–240 min; failure modes TWF, HDF, PWF, OSF, RNF.',
        generator: 'generateAi4i',
        seed: AI4I_TRAINING.seed,
        rows: trainRows.length,
        failures: count(trainRows, 'machine_failure'),
        failure_modes: { TWF: count(trainRows, 'twf'), HDF: count(trainRows, 'hdf'), PWF: count(trainRows, 'pwf'), OSF: count(trainRows, 'osf'), RNF: count(trainRows, 'rnf') },
        rules: AI4I_RULES,
      },
      held_out_data: {
        description: 'Same generator, different seed, never seen in training.',
        seed: AI4I_HELD_OUT.seed,
        rows: heldRows.length,
        failures: count(heldRows, 'machine_failure'),
      },
      held_out_metrics: metrics,
      hyperparameters: { learningRate: 0.1, lambda: 1, minSamplesLeaf: 5, minChildWeight: 1e-3, minGain: 0, ...spec.params },
      inputs: 'Air_temperature_K, Process_temperature_K, Rotational_speed_rpm, Torque_Nm, Tool_wear_min, Type (L/M/H -> 0/1/2); rounded to float32 before comparisons; x <= threshold goes left.',
      output: 'probability = sigmoid(base_score + sum of leaf values); prediction = probability >= 0.5; SHAP values in log-odds.',
      limitations: 'Tool-wear (TWF) and random (RNF) failures are not predictable from the features by construction; about a fifth of failures are of these kinds.',
    },
  };
  return { meta, artifact, metrics, trainMs };
}

/** Held-out metrics of a classifier artifact on a float32 matrix. */
export function evaluateClassifier(artifact: GbdtArtifact, x: Float32Array, y: ArrayLike<number>): BinaryMetrics {
  const clf = createGbdtClassifier('eval', '0', artifact);
  const d = artifact.feature_names.length;
  const scores = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) scores[i] = clf.predict(x.subarray(i * d, i * d + d)).probability;
  return binaryMetrics(y, scores);
}

export function anomalyDetectorRecipe(clock: () => number = () => 0): RecipeResult<IsolationForestArtifact> {
  const fleet = generateSensorFleet({ ...ANOMALY_TRAINING, end: new Date(ANOMALY_TRAINING.end) });
  const rows = fleet.flatMap(seriesAnomalyFeatures);
  const t0 = clock();
  const artifact = compactIsolationForestArtifact(trainIsolationForest({ x: new Float32Array(rows.flat()), featureNames: ANOMALY_FEATURE_NAMES }, ANOMALY_FOREST));
  const trainMs = clock() - t0;
  const e = evaluateAnomalyDetector(artifact);
  const metrics = {
    flagged_held_out_normal: round4(e.heldOutNormal),
    flagged_injected_spikes: round4(e.injectedSpikes),
    flagged_anomaly_event_anomalies: round4(e.eventAnomalies),
    flagged_normal_data_simulation: round4(e.normalData),
    threshold: round4(artifact.threshold),
  };
  const meta: ModelVersionMeta = {
    name: ANOMALY_MODEL_NAME,
    version: '1',
    stage: 'Production',
    created_at: TRAINED_AT,
    last_updated_at: TRAINED_AT,
    kind: IFOREST_KIND,
    description: 'Isolation forest over the last five values, the scaled value and the quality of a sensor reading',
    tags: { task: 'anomaly-detection', dataset: 'sensor-fleet-synthetic', framework: '@smp/ml iforest' },
    feature_names: [...artifact.feature_names],
    model_card: {
      model_type: `Isolation forest: ${ANOMALY_FOREST.trees} trees, max_samples = min(256, n) = ${artifact.max_samples}, contamination ${ANOMALY_FOREST.contamination}, seed ${ANOMALY_FOREST.seed}`,
      training_data: {
        description: 'Normal operation of a synthetic sensor fleet read once a minute: levels spread over 13–83 plus dense ends (partly saturated instruments), daily cycle, Gaussian noise; each reading featurised as detect_anomaly does with the readings before it.',
        generator: 'generateSensorFleet',
        seed: ANOMALY_TRAINING.seed,
        series: ANOMALY_TRAINING.series,
        readings_per_series: ANOMALY_TRAINING.length,
        rows: rows.length,
        rules: SENSOR_FLEET_RULES,
      },
      evaluation: {
        held_out_normal: `${ANOMALY_HELD_OUT.series} unseen series (seed ${ANOMALY_HELD_OUT.seed}): share of readings flagged`,
        injected_spikes: 'one spike of ±10–25 per held-out series, after its first 12 readings: share flagged',
        anomaly_event: 'the anomaly-event simulator (seed 123, 10 anomalies in 50 readings): share of its anomalous readings flagged',
        normal_data: 'the normal-data simulator (seed 456), at each hour of a day: share of readings flagged',
      },
      held_out_metrics: metrics,
      score: 's(x) = 2^(-E[h(x)]/c(psi)); outlier when s(x) > threshold, the (1 - contamination) quantile of training scores',
      limitations: 'Trees cut one feature at a time and five of seven features are lags, so a reading is isolated mainly by value_scaled cuts: jumps of ~10 units stand out, drifts of a few units do not.',
    },
  };
  return { meta, artifact, metrics, trainMs };
}

/** Shares flagged by `isOutlier` on held-out normal data and on injected anomalies. */
export function evaluateAnomalyDetector(artifact: IsolationForestArtifact): { heldOutNormal: number; injectedSpikes: number; eventAnomalies: number; normalData: number } {
  const forest = compileIsolationForest(artifact);
  const share = (vectors: number[][]): number => vectors.filter((v) => forest.isOutlier(v)).length / Math.max(1, vectors.length);

  const held = generateSensorFleet({ ...ANOMALY_HELD_OUT, end: new Date(ANOMALY_HELD_OUT.end) });
  const heldOutNormal = share(held.flatMap(seriesAnomalyFeatures));

  const rng = createRandom(ANOMALY_HELD_OUT.seed + 1);
  const spikes: number[][] = [];
  for (const series of held) {
    const at = 12 + rng.int(series.length - 12);
    const sign = rng.uniform() < 0.5 ? -1 : 1;
    const spiked: SimulatedReading[] = series.map((r, i) => (i === at ? { ...r, value: Math.round((r.value + sign * rng.between(10, 25)) * 100) / 100 } : r));
    spikes.push(seriesAnomalyFeatures(spiked)[at]);
  }

  const eventNow = new Date('2025-08-21T10:00:00.000Z');
  const event = simulateAnomalyEvent({}, eventNow);
  const eventFeatures = seriesAnomalyFeatures(event);
  const eventAnomalies = share(eventFeatures.filter((_, i) => event[i].sensor_metadata.is_anomaly === true));

  const normal: number[][] = [];
  for (let hour = 0; hour < 24; hour++) normal.push(...seriesAnomalyFeatures(simulateNormalData({}, new Date(Date.UTC(2025, 7, 21, hour, 30)))));
  return { heldOutNormal, injectedSpikes: share(spikes), eventAnomalies, normalData: share(normal) };
}

function round4(v: number): number {
  return Math.round(v * 10000) / 10000;
}
