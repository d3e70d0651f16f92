/**
 * POST /api/v1/ml/predict as an operation: resolve the model version, map the request's features
 * to the model's vector, score it with an injected scorer, shape the legacy response.
 *
 *   await predictOperation(request, { registry, scorer: registryScorer(registry), now, newId })
 *   // { prediction: [1], confidence: 0.93, model_info: {…, model_version: '2'}, timestamp, request_id,
 *   //   shap_values: {Air_temperature_K: 0.12, …}, feature_importance: {…} }
 *
 * The monolith scores in plain TypeScript (registryScorer); the prediction service plugs ONNX in
 * and keeps everything else, so both answer byte-identically.
 */
import { AppError, legacyTimestamp } from '@smp/platform';
import { AI4I_REQUIRED_FEATURES, ai4iFeatureVector } from '../classifier/ai4i-features.js';
import type { ModelRegistry, ModelVersionMeta } from '../contract.js';
import { pyListRepr } from './python-format.js';
import type { PredictRequest } from './schemas.js';

/** One scored vector: the label, the probability of that label, and SHAP values when asked for. */
export interface PredictScore {
  label: 0 | 1;
  confidence: number;
  /** Per-feature contributions keyed by feature name, or null when not explaining. */
  shap: Record<string, number> | null;
}

/** Scores a feature vector (in `meta.feature_names` order) with the given model version. */
export interface PredictScorer {
  score(meta: ModelVersionMeta, vector: readonly number[], explain: boolean): Promise<PredictScore>;
}

export interface PredictDeps {
  registry: Pick<ModelRegistry, 'resolveVersion'>;
  scorer: PredictScorer;
  now?: () => Date;
  newId: () => string;
}

/** The legacy response body of a prediction. */
export interface PredictResponse {
  prediction: [0 | 1];
  confidence: number;
  model_info: { model_name: string; model_version: string; loaded_from: string; feature_adaptation: string };
  timestamp: string;
  request_id: string;
  shap_values: Record<string, number> | null;
  feature_importance: Record<string, number> | null;
}

export const LOADED_FROM = 'MLflow Model Registry';

/** `Model '<name>' version '<v>' not found in MLflow Registry` (404). */
export function predictModelNotFound(name: string, version: string): AppError {
  return new AppError('NOT_FOUND', `Model '${name}' version '${version}' not found in MLflow Registry`);
}

/** The model's input vector for a request's features, or the legacy 400 naming what is missing. */
export function prepareFeatures(modelName: string, meta: ModelVersionMeta, features: Readonly<Record<string, unknown>>): { vector: number[]; used: number } {
  let vector: number[];
  let missing: string[];
  let used: number;
  if (modelName.toLowerCase().includes('ai4i')) {
    ({ vector, missing } = ai4iFeatureVector(features));
    used = AI4I_REQUIRED_FEATURES.length + (features.Type === undefined ? 0 : 1);
  } else {
    vector = [];
    missing = [];
    for (const name of meta.feature_names) {
      const v = features[name];
      if (typeof v === 'number' && Number.isFinite(v)) vector.push(v);
      else missing.push(name);
    }
    used = meta.feature_names.length;
  }
  if (missing.length > 0) throw new AppError('BAD_REQUEST', `Feature preparation failed: Missing required features: ${pyListRepr(missing)}`);
  return { vector, used };
}

export async function predictOperation(request: PredictRequest, deps: PredictDeps): Promise<PredictResponse> {
  const meta = await deps.registry.resolveVersion(request.model_name, request.model_version);
  if (!meta) throw predictModelNotFound(request.model_name, request.model_version);
  if (meta.kind === 'isolation-forest') {
    throw new AppError('BAD_REQUEST', `Prediction failed: model '${meta.name}' version '${meta.version}' is an anomaly detector, not a classifier`);
  }
  const { vector, used } = prepareFeatures(request.model_name, meta, request.features);
  const scored = await deps.scorer.score(meta, vector, request.explain);
  const shap = request.explain ? scored.shap : null;
  return {
    prediction: [scored.label],
    confidence: scored.confidence,
    model_info: {
      model_name: request.model_name,
      model_version: meta.version,
      loaded_from: LOADED_FROM,
      feature_adaptation: `Adapted ${used} input features`,
    },
    timestamp: legacyTimestamp(deps.now?.()),
    request_id: deps.newId(),
    shap_values: shap,
    feature_importance: shap,
  };
}

/** The plain-TypeScript scorer: the registry's classifier, its exact TreeSHAP values. */
export function registryScorer(registry: Pick<ModelRegistry, 'loadClassifier'>): PredictScorer {
  return {
    async score(meta, vector, explain) {
      const classifier = await registry.loadClassifier(meta.name, meta.version);
      const out = classifier.predict(vector);
      return { label: out.label, confidence: out.confidence, shap: explain ? classifier.shap(vector) : null };
    },
  };
}
