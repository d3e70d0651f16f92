/**
 * @smp/ml: the ML the legacy API computes, in plain TypeScript, shared by the monolith and the
 * extracted services. See ../README.md for the registry layout and the model types.
 */
export type * from './contract.js';

export { createRandom, type Random } from './random/prng.js';
export { f32, shortestFloat32, float32Midpoint } from './numeric/float32.js';

export { openRegistry, GBDT_KIND, IFOREST_KIND, type RegistryOptions } from './registry/model-registry.js';
export { registerVersion, type RegisterOptions } from './registry/register-version.js';
export { defaultModelsDir, modelRegistryDirEnv } from './registry/models-dir.js';
export { resolveAuto, sortNewestFirst, isValidModelName, isValidVersion, isValidArtifactFile } from './registry/version-order.js';

export {
  AI4I_FEATURE_NAMES,
  AI4I_REQUIRED_FEATURES,
  PRODUCT_TYPE_CODES,
  DEFAULT_PRODUCT_TYPE,
  ai4iFeatureVector,
  type ProductType,
  type Ai4iFeatureVector,
} from './classifier/ai4i-features.js';
export { compileEnsemble, compactGbdtArtifact, coverShare, sigmoid, type GbdtArtifact, type GbdtTree, type TreeEnsemble } from './classifier/tree-ensemble.js';
export { trainGbdt, type GbdtParams, type GbdtTrainingData } from './classifier/gbdt-trainer.js';
export { createTreeShapExplainer, type TreeShapExplainer } from './classifier/tree-shap.js';
export { createFastTreeShap, MAX_PATH_FEATURES, type FastTreeShap } from './classifier/fast-tree-shap.js';
export { createGbdtClassifier, type GbdtClassifier } from './classifier/gbdt-classifier.js';
export { binaryMetrics, rocAuc, type BinaryMetrics } from './evaluation/classification-metrics.js';

export {
  trainIsolationForest,
  compileIsolationForest,
  compactIsolationForestArtifact,
  averagePathLength,
  percentileLinear,
  type IsolationForest,
  type IsolationForestArtifact,
  type IsolationForestParams,
  type IsolationTree,
} from './anomaly/isolation-forest.js';
export {
  anomalyFeatures,
  ANOMALY_FEATURE_NAMES,
  ANOMALY_HISTORY_SIZE,
  VALUE_SCALE_MIN,
  VALUE_SCALE_MAX,
  type AnomalyFeatures,
  type AnomalyReadingInput,
  type AnomalyHistoryReading,
} from './anomaly/anomaly-features.js';

export { ks2samp, roundHalfEven, KS_MAX_EXACT_N } from './drift/ks-2samp.js';
export { probOutsideSquare, outerProbInside } from './drift/ks-exact.js';
export { kstwoSf, kolmogn, smirnov } from './drift/kolmogorov-distribution.js';

export { generateAi4i, ai4iRowFeatures, ai4iMatrix, AI4I_RULES, type Ai4iRow, type Ai4iOptions } from './simulation/ai4i.js';
export {
  simulateDriftEvent,
  simulateAnomalyEvent,
  simulateNormalData,
  DRIFT_EVENT_DEFAULTS,
  ANOMALY_EVENT_DEFAULTS,
  NORMAL_DATA_DEFAULTS,
  DRIFT_EVENT_SEED,
  ANOMALY_EVENT_SEED,
  NORMAL_DATA_SEED,
  type DriftEventParams,
  type AnomalyEventParams,
  type NormalDataParams,
} from './simulation/sensor-events.js';
export { generateSensorFleet, seriesAnomalyFeatures, SENSOR_FLEET_RULES, type SensorFleetOptions } from './simulation/sensor-series.js';

export {
  AI4I_MODEL_NAME,
  ANOMALY_MODEL_NAME,
  AI4I_VERSIONS,
  ai4iClassifierRecipe,
  anomalyDetectorRecipe,
  evaluateClassifier,
  evaluateAnomalyDetector,
  TRAINED_AT,
} from './training/model-recipes.js';

export * from './service/index.js';
