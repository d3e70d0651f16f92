/**
 * The ML routes, served by the shared operations of `@smp/ml` (the extracted services run the same
 * code, so both answer byte-identically). The monolith also keeps the alerts detect_anomaly
 * raises in `anomaly_alerts`, for the reports; a failed write is logged, never the client's error.
 * A request the proxy mirrored here (`X-Shadow-Request: 1`) gets the same answer but stores no
 * alert and spends no drift budget (it is decided from the count its primary left).
 *
 *   POST /api/v1/ml/predict          {"model_name":"ai4i_classifier","features":{…}}
 *   POST /api/v1/ml/detect_anomaly   {"sensor_readings":[{…}]}
 *   POST /api/v1/ml/check_drift      {"sensor_id":"pump-7"}          10 per minute per key or IP
 *   GET  /api/v1/ml/models, /api/v1/ml/models/:name/versions, /api/v1/ml/models/:name/latest
 *   GET  /api/v1/ml/health
 */
import { AppError, enforceRequestRateLimit, isShadowRequest, legacyTimestamp, parseBody, type FixedWindowLimiter } from '@smp/platform';
import {
  checkDriftOperation,
  checkDriftRequestSchema,
  detectAnomalyOperation,
  detectAnomalyRequestSchema,
  latestModelOperation,
  listModelsOperation,
  modelVersionsOperation,
  predictOperation,
  predictRequestSchema,
  registryScorer,
} from '@smp/ml';
import type { Express, RequestHandler } from 'express';
import type { RouteContext } from '../app.js';

/** The model /api/v1/ml/health loads, as the original did. */
export const HEALTH_TEST_MODEL = 'anomaly_detector_refined_v2';

export function mlRoutes(
  app: Express,
  ctx: RouteContext,
  options: { auth: RequestHandler; driftLimiter: FixedWindowLimiter },
): void {
  const registry = ctx.deps.modelRegistry;
  const scorer = registryScorer(registry);

  app.post('/api/v1/ml/predict', options.auth, async (req, res) => {
    const body = parseBody(predictRequestSchema, req.body);
    res.json(await predictOperation(body, { registry, scorer, now: ctx.now, newId: ctx.newId }));
  });

  app.post('/api/v1/ml/detect_anomaly', options.auth, async (req, res) => {
    const body = parseBody(detectAnomalyRequestSchema, req.body);
    const result = await detectAnomalyOperation(body, { registry, readings: ctx.readings, now: ctx.now, newId: ctx.newId });
    if (!isShadowRequest(req)) {
      try {
        await ctx.alerts.insertMany(result.anomalies_detected);
      } catch (err) {
        ctx.deps.logger.warn('storing anomaly alerts failed', { error: (err as Error).message, alerts: result.anomaly_count });
      }
    }
    res.json(result);
  });

  app.post('/api/v1/ml/check_drift', options.auth, async (req, res) => {
    const body = parseBody(checkDriftRequestSchema, req.body);
    // After validation, as slowapi's decorator ran: a refused body spends no budget.
    await enforceRequestRateLimit(options.driftLimiter, req);
    res.json(await checkDriftOperation(body, { readings: ctx.readings, now: ctx.now, newId: ctx.newId }));
  });

  app.get('/api/v1/ml/models', options.auth, async (_req, res) => {
    res.json(await listModelsOperation({ registry }));
  });

  app.get('/api/v1/ml/models/:name/versions', options.auth, async (req, res) => {
    res.json(await modelVersionsOperation(String(req.params.name), { registry }));
  });

  app.get('/api/v1/ml/models/:name/latest', options.auth, async (req, res) => {
    res.json(await latestModelOperation(String(req.params.name), { registry }));
  });

  app.get('/api/v1/ml/health', async (_req, res) => {
    try {
      const meta = await registry.resolveVersion(HEALTH_TEST_MODEL, 'auto');
      if (!meta) throw new Error(`model '${HEALTH_TEST_MODEL}' is not registered`);
      await registry.loadAnomalyModel(meta.name, meta.version);
    } catch (err) {
      throw new AppError('SERVICE_UNAVAILABLE', `ML health check failed: ${(err as Error).message}`);
    }
    res.json({ status: 'healthy', model_registry: 'accessible', test_model_loaded: true, timestamp: legacyTimestamp(ctx.now()) });
  });
}
