/**
 * prediction-service: the legacy predict and model-registry routes, answered by the same shared
 * operations as the monolith (`@smp/ml` service operations, platform validation and auth), with
 * the classifier itself running on onnxruntime:
 *
 *   POST /api/v1/ml/predict                    {"model_name":"ai4i_classifier","features":{…}}
 *   GET  /api/v1/ml/models                     {"models":[…],"count":n}
 *   GET  /api/v1/ml/models/:name/versions      newest first; 404 "Model '<name>' not found"
 *   GET  /api/v1/ml/models/:name/latest        {"model_name","resolved_version","current_stage","status"}
 *   GET  /health, GET /metrics
 *
 * The order of checks is the monolith's: API key (403), body validation (422), then the work.
 * Clients cannot tell the two apart except by two headers outside the contract: predict answers
 * carry `X-Model-Runtime: onnxruntime`, and a proxy may pick the model version of an `auto`
 * request with `X-Migrate-Variant-Payload` (see variants/model-variant.ts).
 */
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import {
  acceptedApiKeys,
  ApiKeyVerifier,
  createApiKeyAuth,
  createHttpApp,
  finishHttpApp,
  legacyBodyReaders,
  legacyTimestamp,
  parseBody,
  prom,
  type AppDeps,
} from '@smp/platform';
import type { ModelRegistry, ModelVersionMeta } from '@smp/ml/contract';
import { GBDT_KIND } from '@smp/ml/registry/model-registry';
import { latestModelOperation, listModelsOperation, modelVersionsOperation } from '@smp/ml/service/models';
import { predictOperation } from '@smp/ml/service/predict';
import { predictRequestSchema } from '@smp/ml/service/schemas';
import type { Config } from './config.js';
import { PREDICT_PATH, withFastPredict } from './fast-predict.js';
import { createOnnxModelStore } from './scoring/onnx-model-store.js';
import { onnxScorer } from './scoring/onnx-scorer.js';
import { VARIANT_HEADER, variantDecision } from './variants/model-variant.js';

export const SERVICE = 'prediction-service';

/** Response header naming the runtime that scored a prediction (not part of the legacy contract). */
export const RUNTIME_HEADER = 'X-Model-Runtime';
export const RUNTIME = 'onnxruntime';

/** Everything the app talks to; `start()` opens the registry from MODEL_REGISTRY_DIR. */
export interface PredictionDeps extends AppDeps<Config> {
  modelRegistry: ModelRegistry;
  /** Default: the wall clock. */
  now?: () => Date;
  /** Default: randomUUID (the bodies' `request_id`). */
  newId?: () => string;
}

/**
 * The service's request listener: the express app, with the common predict requests answered by
 * the lean path of fast-predict.ts ahead of it (same bytes, a fraction of the cost). Resolves once
 * the classifiers' "auto" versions are warm (see `warmUp`), so the first requests do not pay for it.
 */
export async function createApp(deps: PredictionDeps): Promise<http.RequestListener> {
  const { config, logger, modelRegistry: registry } = deps;
  const app = createHttpApp({ service: SERVICE, logger, registry: deps.registry, tracer: deps.tracer });
  app.use(legacyBodyReaders());
  const newId = deps.newId ?? randomUUID;
  const now = deps.now;

  const sessionsLoaded = new prom.Counter({
    name: 'prediction_onnx_sessions_loaded_total',
    help: 'ONNX sessions loaded, by where the model came from (file, exported on first use)',
    labelNames: ['source'] as const,
    registers: [deps.registry],
  });
  const variants = new prom.Counter({
    name: 'prediction_model_variant_total',
    help: 'Predict requests carrying a variant payload, by what was done with it',
    labelNames: ['outcome'] as const,
    registers: [deps.registry],
  });

  const store = createOnnxModelStore({ registry, logger, onLoad: (_meta, source) => sessionsLoaded.inc({ source }) });
  deps.closer.add('onnx sessions', () => store.close());
  const scorer = onnxScorer({ store, registry });

  // FastAPI's Security() ran per route, so unknown paths still 404 whatever the key.
  const auth = createApiKeyAuth({ keys: acceptedApiKeys(config), allowAnonymous: config.ALLOW_ANONYMOUS_API_ACCESS, exempt: () => false });

  app.get('/health', async (_req, res) => {
    let registryState = 'accessible';
    try {
      await registry.listModels();
    } catch (err) {
      registryState = 'failed';
      logger.warn('model registry not readable', { dir: registry.dir, error: (err as Error).message });
    }
    res.json({
      status: registryState === 'accessible' ? 'ok' : 'degraded',
      service: SERVICE,
      model_registry: registryState,
      onnx_sessions: store.size,
      timestamp: legacyTimestamp(),
    });
  });

  /** The predict route's work after the key check: validate, apply a variant, score. */
  const predict = async (headers: http.IncomingHttpHeaders, rawBody: unknown) => {
    const body = parseBody(predictRequestSchema, rawBody);
    let request = body;
    let resolver: Pick<ModelRegistry, 'resolveVersion'> = registry;
    const decision = variantDecision(headers[VARIANT_HEADER], body.model_name, body.model_version);
    if (decision.kind === 'apply') {
      const meta = await registry.resolveVersion(body.model_name, decision.version);
      if (meta) {
        request = { ...body, model_version: decision.version };
        // The version was just resolved; hand it over rather than read the registry twice.
        resolver = { resolveVersion: (name, version) => (name === meta.name && version === meta.version ? Promise.resolve<ModelVersionMeta>(meta) : registry.resolveVersion(name, version)) };
        variants.inc({ outcome: 'applied' });
      } else {
        variants.inc({ outcome: 'unknown-version' });
        logger.warn('variant names a version that is not registered, serving auto', { model_name: body.model_name, model_version: decision.version });
      }
    } else if (decision.kind !== 'none') {
      variants.inc({ outcome: decision.kind });
    }
    return predictOperation(request, { registry: resolver, scorer, now, newId });
  };

  app.post(PREDICT_PATH, auth, async (req, res) => {
    const result = await predict(req.headers, req.body);
    res.setHeader(RUNTIME_HEADER, RUNTIME);
    res.json(result);
  });

  app.get('/api/v1/ml/models', auth, async (_req, res) => {
    res.json(await listModelsOperation({ registry }));
  });

  app.get('/api/v1/ml/models/:name/versions', auth, async (req, res) => {
    res.json(await modelVersionsOperation(String(req.params.name), { registry }));
  });

  app.get('/api/v1/ml/models/:name/latest', auth, async (req, res) => {
    res.json(await latestModelOperation(String(req.params.name), { registry }));
  });

  finishHttpApp(app, { logger });
  await warmUp({ registry, store, logger });
  return withFastPredict({
    app,
    logger,
    registry: deps.registry,
    verifier: new ApiKeyVerifier(acceptedApiKeys(config), config.ALLOW_ANONYMOUS_API_ACCESS),
    predict,
    successHeaders: { [RUNTIME_HEADER]: RUNTIME },
  });
}

/**
 * Before serving: for every registered classifier, its "auto" version's ONNX session is loaded
 * (exported first when model.onnx is missing, as on a first request) and its TreeSHAP tables are
 * built (~150 ms for ai4i v2), which the first explained request would otherwise wait for. Other
 * versions still load on first use. A model that fails here is logged and left to the first
 * request, which then answers the error as before.
 */
export async function warmUp(deps: { registry: ModelRegistry; store: ReturnType<typeof createOnnxModelStore>; logger: PredictionDeps['logger'] }): Promise<void> {
  const { registry, store, logger } = deps;
  let models: Awaited<ReturnType<ModelRegistry['listModels']>>;
  try {
    models = await registry.listModels();
  } catch (err) {
    logger.warn('model registry not readable at start, nothing warmed up', { dir: registry.dir, error: (err as Error).message });
    return;
  }
  for (const { name } of models) {
    const meta = await registry.resolveVersion(name, 'auto').catch(() => undefined);
    if (!meta || meta.kind !== GBDT_KIND) continue;
    try {
      await store.classifier(meta);
      const classifier = await registry.loadClassifier(meta.name, meta.version);
      classifier.shap(new Array<number>(meta.feature_names.length).fill(0));
    } catch (err) {
      logger.warn('could not warm up a model, it loads on its first request', { model_name: meta.name, model_version: meta.version, error: (err as Error).message });
    }
  }
}
