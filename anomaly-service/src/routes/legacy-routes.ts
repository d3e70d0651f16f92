/**
 * The two legacy ML routes this service took over, answering as the monolith does because both
 * run the same shared operations, schemas, auth and (Redis-shared) drift limiter:
 *
 *   POST /api/v1/ml/detect_anomaly  {"sensor_readings":[{"sensor_id":"pump-7","value":91.5,"sensor_type":"temperature","unit":"C"}]}
 *   POST /api/v1/ml/check_drift     {"sensor_id":"pump-7"}      10 per minute per key or IP, one budget with the monolith
 * Checks run in the legacy order: API key (403), body (422), drift limit (429), then the work.
 * What this service adds: per-sensor threshold overrides for fields the body leaves out
 * (threshold-resolution.ts), every drift verdict recorded for drift-status, and the alerts
 * detect_anomaly raises stored in `anomaly_alerts` as the monolith stores them (a failed write is
 * logged, never the client's error — also as the monolith does). A request the proxy mirrored here
 * (`X-Shadow-Request: 1`) gets the same answer but leaves nothing behind: no alerts, no recorded
 * drift verdict, no drift budget spent (it is decided from the count its primary left).
 */
import { enforceRequestRateLimit, handle, isShadowRequest, parseBody, type FixedWindowLimiter, type Logger } from '@smp/platform';
import {
  checkDriftOperation,
  checkDriftRequestSchema,
  detectAnomalyOperation,
  detectAnomalyRequestSchema,
  type CheckDriftDeps,
  type CheckDriftRequest,
  type DetectAnomalyDeps,
  type DetectAnomalyRequest,
  type DetectAnomalyResponse,
} from '@smp/ml';
import type { Express, RequestHandler } from 'express';
import type { AlertWriter } from '../store/alert-writer.js';
import type { DriftResultStore } from '../store/drift-results.js';
import type { OwnSchema } from '../store/own-schema.js';
import type { ThresholdStore } from '../store/thresholds.js';
import { bodyHas, mergeRunAnswers, sensitivityRuns } from '../threshold-resolution.js';

export interface LegacyRoutesDeps {
  auth: RequestHandler;
  driftLimiter: FixedWindowLimiter;
  /** The shared operations' I/O: registry, readings, KS test, clock, ids. */
  detect: DetectAnomalyDeps;
  drift: CheckDriftDeps;
  schema: OwnSchema;
  thresholds: ThresholdStore;
  alerts: AlertWriter;
  driftResults: DriftResultStore;
  logger: Logger;
}

/** detect_anomaly with the sensors' sensitivity overrides applied when the body gave none. */
export async function detectWithOverrides(
  request: DetectAnomalyRequest,
  rawBody: unknown,
  deps: Pick<LegacyRoutesDeps, 'detect' | 'schema' | 'thresholds'>,
): Promise<DetectAnomalyResponse> {
  if (bodyHas(rawBody, 'sensitivity') || request.sensor_readings.length === 0) return detectAnomalyOperation(request, deps.detect);
  await deps.schema.ready();
  const stored = await deps.thresholds.getMany(request.sensor_readings.map((r) => r.sensor_id));
  const overrides = new Map([...stored].map(([sensor, t]) => [sensor, t.sensitivity]));
  const runs = sensitivityRuns(request.sensor_readings, overrides, request.sensitivity);
  const answers: DetectAnomalyResponse[] = [];
  for (const run of runs) {
    const readings = runs.length === 1 ? request.sensor_readings : request.sensor_readings.slice(run.start, run.end);
    answers.push(await detectAnomalyOperation({ ...request, sensor_readings: readings, sensitivity: run.sensitivity }, deps.detect));
  }
  return mergeRunAnswers(answers);
}

/** check_drift's request with the sensor's p-value override applied when the body gave none. */
export async function driftRequestWithOverrides(
  request: CheckDriftRequest,
  rawBody: unknown,
  deps: Pick<LegacyRoutesDeps, 'schema' | 'thresholds'>,
): Promise<CheckDriftRequest> {
  if (bodyHas(rawBody, 'p_value_threshold')) return request;
  await deps.schema.ready();
  const { p_value_threshold } = await deps.thresholds.get(request.sensor_id);
  return p_value_threshold === null ? request : { ...request, p_value_threshold };
}

export function mountLegacyRoutes(app: Express, deps: LegacyRoutesDeps): void {
  const { logger } = deps;

  app.post(
    '/api/v1/ml/detect_anomaly',
    deps.auth,
    handle(async (req, res) => {
      const request = parseBody(detectAnomalyRequestSchema, req.body);
      const answer = await detectWithOverrides(request, req.body, deps);
      if (!isShadowRequest(req)) {
        try {
          await deps.alerts.append(answer.anomalies_detected);
        } catch (err) {
          logger.warn('storing anomaly alerts failed', { error: (err as Error).message, alerts: answer.anomaly_count });
        }
      }
      res.json(answer);
    }),
  );

  app.post(
    '/api/v1/ml/check_drift',
    deps.auth,
    handle(async (req, res) => {
      const parsed = parseBody(checkDriftRequestSchema, req.body);
      // After validation, as the monolith (and slowapi) do: a refused body spends no budget.
      await enforceRequestRateLimit(deps.driftLimiter, req);
      const request = await driftRequestWithOverrides(parsed, req.body, deps);
      const answer = await checkDriftOperation(request, deps.drift);
      if (!isShadowRequest(req)) {
        try {
          await deps.schema.ready();
          await deps.driftResults.record(answer, request.min_samples);
        } catch (err) {
          logger.warn('recording a drift verdict failed', { error: (err as Error).message, sensor_id: answer.sensor_id });
        }
      }
      res.json(answer);
    }),
  );
}
