/**
 * The contract of the ML library: what the monolith and the extracted services call. Types only;
 * the implementations live in registry/, classifier/, anomaly/, drift/ and simulation/.
 *
 * Numbers are float64 throughout, except that classifier inputs are quantised to float32
 * (`Math.fround`) before any comparison, as sklearn's trees and ONNX's TreeEnsemble do, so the
 * plain-TypeScript model and its ONNX export take the same branch for every input.
 */

/** MLflow-like stages; `auto` resolves Production, then Staging, then the newest version. */
export type ModelStage = 'Production' | 'Staging' | 'None' | 'Archived';

/** One registered version of a model, as stored in `models/<name>/<version>/meta.json`. */
export interface ModelVersionMeta {
  name: string;
  /** A positive integer as a string, like MLflow ("1", "2"). */
  version: string;
  stage: ModelStage;
  /** ISO 8601 UTC. */
  created_at: string;
  last_updated_at: string;
  /** `gbdt-classifier` | `isolation-forest`. */
  kind: string;
  description: string;
  tags: Record<string, string>;
  feature_names: string[];
  /** Training data description and held-out metrics. */
  model_card: Record<string, unknown>;
}

/** A registered model name with its versions, newest first. */
export interface RegisteredModel {
  name: string;
  description: string;
  versions: ModelVersionMeta[];
}

/** Binary classifier output for one feature vector. */
export interface ClassifierOutput {
  /** 1 = machine failure. */
  label: 0 | 1;
  /** P(label = 1). */
  probability: number;
  /** Probability of the predicted class. */
  confidence: number;
}

/** A loaded classifier version: pure, synchronous, safe to share between requests. */
export interface Classifier {
  readonly name: string;
  readonly version: string;
  readonly featureNames: readonly string[];
  predict(features: ArrayLike<number>): ClassifierOutput;
  /** Exact per-feature contributions (log-odds), keyed by feature name; sum + expectedValue = margin. */
  shap(features: ArrayLike<number>): Record<string, number>;
  readonly expectedValue: number;
}

/** A loaded isolation forest version. */
export interface AnomalyModel {
  readonly name: string;
  readonly version: string;
  readonly featureNames: readonly string[];
  /** The standard isolation-forest anomaly score s(x) = 2^(-E[h(x)]/c(psi)), in [0, 1]. */
  score(features: ArrayLike<number>): number;
  /** sklearn's predict() == -1: score above the contamination threshold learnt at training. */
  isOutlier(features: ArrayLike<number>): boolean;
}

/** The on-disk registry (`models/` at the repository root by default). Re-reads the disk, so new versions appear without restart. */
export interface ModelRegistry {
  readonly dir: string;
  listModels(): Promise<RegisteredModel[]>;
  /** Newest first; undefined when the model name is unknown. */
  listVersions(name: string): Promise<ModelVersionMeta[] | undefined>;
  /** `version` is a number string or `auto`; undefined when unknown. */
  resolveVersion(name: string, version: string): Promise<ModelVersionMeta | undefined>;
  loadClassifier(name: string, version: string): Promise<Classifier>;
  loadAnomalyModel(name: string, version: string): Promise<AnomalyModel>;
  /** Absolute path of a file stored beside a version's artifact (e.g. `model.onnx`). */
  artifactPath(name: string, version: string, file: string): string;
}

/** Two-sample Kolmogorov–Smirnov test result, as scipy.stats.ks_2samp(method="auto") gives it. */
export interface KsResult {
  statistic: number;
  pvalue: number;
  method: 'exact' | 'asymp';
}

/** A sensor reading as the simulators produce it (written to `sensor_readings` by the monolith). */
export interface SimulatedReading {
  sensor_id: string;
  sensor_type: string;
  value: number;
  unit: string;
  timestamp: Date;
  quality: number;
  sensor_metadata: Record<string, unknown>;
}
