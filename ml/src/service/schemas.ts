/**
 * The request bodies of the legacy ML routes, validated exactly as the FastAPI app did (pydantic
 * messages, flattened 422). Shared so the monolith and the extracted services refuse the same
 * input with the same bytes:
 *
 *   parseBody(predictRequestSchema, { model_name: 'ai4i_classifier' })
 *   // 422 "Request validation failed: body → features: Field required"
 */
import { fields, type z } from '@smp/platform';

/** The legacy `SensorType` enum, in its declaration order (the 422 message lists them so). */
export const SENSOR_TYPES = [
  'temperature',
  'vibration',
  'pressure',
  'humidity',
  'bearing',
  'pump',
  'manufacturing',
  'audio',
  'forecasting',
  'voltage',
  'general',
] as const;

export type SensorType = (typeof SENSOR_TYPES)[number];

/** POST /api/v1/ml/predict. */
export const predictRequestSchema = fields.model({
  model_name: fields.str(),
  model_version: fields.str().default('auto'),
  features: fields.dict(),
  sensor_id: fields.str().nullable().default(null),
  explain: fields.bool().default(true),
});
export type PredictRequest = z.output<typeof predictRequestSchema>;

/** One reading of a detect_anomaly request (the legacy `SensorReading` model). */
export const anomalyReadingSchema = fields.model({
  sensor_id: fields.str(),
  value: fields.number(),
  timestamp: fields.datetime().nullable().default(null),
  sensor_type: fields.enumOf(SENSOR_TYPES),
  unit: fields.str(),
  quality: fields.number({ ge: 0, le: 1 }).default(1),
  correlation_id: fields.uuid().nullable().default(null),
  metadata: fields.dict().default({}),
});
export type AnomalyReading = z.output<typeof anomalyReadingSchema>;

/** POST /api/v1/ml/detect_anomaly. */
export const detectAnomalyRequestSchema = fields.model({
  sensor_readings: fields.list(anomalyReadingSchema),
  model_name: fields.str().default('anomaly_detector_refined_v2'),
  model_version: fields.str().default('auto'),
  sensitivity: fields.number({ ge: 0, le: 1 }).default(0.5),
});
export type DetectAnomalyRequest = z.output<typeof detectAnomalyRequestSchema>;

/** POST /api/v1/ml/check_drift (bounds as declared in the original: gt=0, le=1440; gt=0, lt=1; gt=5, le=10000). */
export const checkDriftRequestSchema = fields.model({
  sensor_id: fields.str(),
  window_minutes: fields.int({ gt: 0, le: 1440 }).default(60),
  p_value_threshold: fields.number({ gt: 0, lt: 1 }).default(0.05),
  min_samples: fields.int({ gt: 5, le: 10_000 }).default(30),
});
export type CheckDriftRequest = z.output<typeof checkDriftRequestSchema>;
