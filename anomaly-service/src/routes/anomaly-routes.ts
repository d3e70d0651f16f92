/**
 * The routes that exist only in this service (the proxy sends `/api/v1/anomaly/*` straight here),
 * with the legacy auth, `{"detail": …}` errors, flattened 422s and request ids:
 *
 *   GET /api/v1/anomaly/sensors/pump-7/drift-status   the latest check_drift verdict computed here (404 when none)
 *   PUT /api/v1/anomaly/sensors/pump-7/thresholds     {"sensitivity":0.8,"p_value_threshold":0.01} (absent/null: no override)
 *   GET /api/v1/anomaly/sensors/pump-7/thresholds     the stored overrides and the values the ML routes will use
 *   GET /api/v1/anomaly/history?sensor_id=pump-7&min_severity=3&limit=20&offset=0   stored alerts, newest first
 */
import { AppError, fields, handle, parseBody, parseQuery, type PgPool, type z } from '@smp/platform';
import type { Express, RequestHandler } from 'express';
import type { AlertHistory } from '../store/alert-history.js';
import type { DriftResultStore } from '../store/drift-results.js';
import { needingTables } from '../store/legacy-tables.js';
import type { OwnSchema } from '../store/own-schema.js';
import type { SensorThresholds, ThresholdStore } from '../store/thresholds.js';
import { LEGACY_DEFAULTS } from '../threshold-resolution.js';

/** PUT …/thresholds body: each override optional; absent or null clears it. */
export const thresholdsBodySchema = fields.model({
  sensitivity: fields.number({ ge: 0, le: 1 }).nullable().default(null),
  p_value_threshold: fields.number({ gt: 0, lt: 1 }).nullable().default(null),
});

/** GET /api/v1/anomaly/history query. */
export const historyQuerySchema = fields.model({
  sensor_id: fields.str().nullable().default(null),
  start_time: fields.datetime().nullable().default(null),
  end_time: fields.datetime().nullable().default(null),
  min_severity: fields.int({ ge: 1, le: 5 }).nullable().default(null),
  limit: fields.int({ ge: 1, le: 1000 }).default(100),
  offset: fields.int({ ge: 0 }).default(0),
});
export type HistoryQuery = z.output<typeof historyQuerySchema>;

export interface AnomalyRoutesDeps {
  pool: PgPool;
  auth: RequestHandler;
  schema: OwnSchema;
  thresholds: ThresholdStore;
  driftResults: DriftResultStore;
  alerts: AlertHistory;
}

/** The GET/PUT thresholds body: stored overrides plus what the ML routes will use for the sensor. */
export function thresholdsBody(stored: SensorThresholds) {
  return {
    sensor_id: stored.sensor_id,
    sensitivity: stored.sensitivity,
    p_value_threshold: stored.p_value_threshold,
    effective: {
      sensitivity: stored.sensitivity ?? LEGACY_DEFAULTS.sensitivity,
      p_value_threshold: stored.p_value_threshold ?? LEGACY_DEFAULTS.p_value_threshold,
    },
    updated_at: stored.updated_at,
  };
}

export function mountAnomalyRoutes(app: Express, deps: AnomalyRoutesDeps): void {
  const { auth, schema } = deps;

  app.get(
    '/api/v1/anomaly/sensors/:sensor_id/drift-status',
    auth,
    handle(async (req, res) => {
      await schema.ready();
      const sensorId = String(req.params.sensor_id);
      const latest = await deps.driftResults.latest(sensorId);
      if (!latest) throw new AppError('NOT_FOUND', `No drift check recorded for sensor '${sensorId}'`);
      res.json(latest);
    }),
  );

  app.get(
    '/api/v1/anomaly/sensors/:sensor_id/thresholds',
    auth,
    handle(async (req, res) => {
      await schema.ready();
      res.json(thresholdsBody(await deps.thresholds.get(String(req.params.sensor_id))));
    }),
  );

  app.put(
    '/api/v1/anomaly/sensors/:sensor_id/thresholds',
    auth,
    handle(async (req, res) => {
      // An empty body is "no body" (FastAPI's reading), not `{}`: clearing overrides takes an explicit {}.
      const body = parseBody(thresholdsBodySchema, req.headers['content-length'] === '0' ? undefined : req.body);
      await schema.ready();
      res.json(thresholdsBody(await deps.thresholds.put(String(req.params.sensor_id), body)));
    }),
  );

  app.get(
    '/api/v1/anomaly/history',
    auth,
    handle(async (req, res) => {
      const q = parseQuery(historyQuerySchema, req.query);
      const page = await needingTables(deps.pool, ['anomaly_alerts'], () =>
        deps.alerts.page({
          sensor_id: q.sensor_id ?? undefined,
          start_time: q.start_time?.iso,
          end_time: q.end_time?.iso,
          min_severity: q.min_severity ?? undefined,
          limit: q.limit,
          offset: q.offset,
        }),
      );
      res.json(page);
    }),
  );
}
