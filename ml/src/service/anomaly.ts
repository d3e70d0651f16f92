/**
 * POST /api/v1/ml/detect_anomaly as an operation. Each reading is scored independently: its
 * sensor's 12 newest stored readings give the lag features, the isolation forest gives the score,
 * and a reading is flagged when the forest calls it an outlier or the score reaches `sensitivity`:
 *
 *   await detectAnomalyOperation(request, { registry, readings, newId })
 *   // { anomalies_detected: [{ id, sensor_id, anomaly_type: 'isolation_forest_anomaly', severity: 4,
 *   //     confidence: 0.734, description: 'Isolation Forest detected anomaly (score=0.734, sensitivity=0.50)', … }],
 *   //   total_readings_analyzed: 2, anomaly_count: 1, model_info: {…, sensitivity: '0.500'}, analysis_timestamp, request_id }
 *
 * History is read once per sensor per request (every reading of a sensor sees the same stored
 * rows, as in the original, which never stored the readings it scored).
 */
import { AppError, legacyTimestamp } from '@smp/platform';
import { ANOMALY_HISTORY_SIZE, anomalyFeatures, type AnomalyFeatures } from '../anomaly/anomaly-features.js';
import type { ModelRegistry } from '../contract.js';
import { LOADED_FROM } from './predict.js';
import { pyFixed, pyRound } from './python-format.js';
import type { ReadingsReader, StoredReading } from './readings.js';
import type { DetectAnomalyRequest } from './schemas.js';

export const ANOMALY_TYPE = 'isolation_forest_anomaly';
export const RECOMMENDED_ACTIONS = Object.freeze(['Investigate sensor reading', 'Check sensor calibration', 'Review historical data for patterns']);

/** One alert, in the legacy key order. */
export interface AnomalyAlert {
  id: string;
  sensor_id: string;
  anomaly_type: string;
  severity: number;
  confidence: number;
  description: string;
  evidence: {
    sensor_value: number;
    sensor_unit: string;
    sensor_type: string;
    quality_score: number;
    feature_vector: AnomalyFeatures['named'];
  };
  recommended_actions: string[];
  created_at: string;
  status: 'open';
}

export interface DetectAnomalyResponse {
  anomalies_detected: AnomalyAlert[];
  total_readings_analyzed: number;
  anomaly_count: number;
  model_info: { model_name: string; model_version: string; sensitivity: string; loaded_from: string };
  analysis_timestamp: string;
  request_id: string;
}

export interface DetectAnomalyDeps {
  registry: Pick<ModelRegistry, 'resolveVersion' | 'loadAnomalyModel'>;
  readings: Pick<ReadingsReader, 'newestReadings' | 'newestReadingsMany'>;
  now?: () => Date;
  newId: () => string;
}

/** `Anomaly detection model '<name>' version '<v>' not found` (404), the original's wording. */
export function anomalyModelNotFound(name: string, version: string): AppError {
  return new AppError('NOT_FOUND', `Anomaly detection model '${name}' version '${version}' not found`);
}

/** severity = clamp(round(score·5), 1, 5) with Python's rounding. */
export function severityOf(score: number): number {
  return Math.min(5, Math.max(1, pyRound(score * 5)));
}

/** Each distinct sensor's newest stored readings, in one round trip when the reader can. */
async function historiesOf(readings: DetectAnomalyDeps['readings'], sensorIds: readonly string[]): Promise<Map<string, StoredReading[]>> {
  const distinct = [...new Set(sensorIds)];
  if (distinct.length === 0) return new Map();
  if (readings.newestReadingsMany) return readings.newestReadingsMany(distinct, ANOMALY_HISTORY_SIZE);
  const lists = await Promise.all(distinct.map((id) => readings.newestReadings(id, ANOMALY_HISTORY_SIZE)));
  return new Map(distinct.map((id, i) => [id, lists[i]]));
}

export async function detectAnomalyOperation(request: DetectAnomalyRequest, deps: DetectAnomalyDeps): Promise<DetectAnomalyResponse> {
  const meta = await deps.registry.resolveVersion(request.model_name, request.model_version);
  if (!meta || meta.kind !== 'isolation-forest') throw anomalyModelNotFound(request.model_name, request.model_version);
  const model = await deps.registry.loadAnomalyModel(meta.name, meta.version);

  const histories = await historiesOf(
    deps.readings,
    request.sensor_readings.map((r) => r.sensor_id),
  );
  const sensitivity = request.sensitivity;
  const alerts: AnomalyAlert[] = [];
  for (const reading of request.sensor_readings) {
    const history = histories.get(reading.sensor_id) ?? [];
    const features = anomalyFeatures({ value: reading.value, quality: reading.quality, timestamp: reading.timestamp?.date ?? null }, history);
    const score = model.score(features.vector);
    if (!(model.isOutlier(features.vector) || score >= sensitivity)) continue;
    alerts.push({
      id: deps.newId(),
      sensor_id: reading.sensor_id,
      anomaly_type: ANOMALY_TYPE,
      severity: severityOf(score),
      confidence: score,
      description: `Isolation Forest detected anomaly (score=${pyFixed(score, 3)}, sensitivity=${pyFixed(sensitivity, 2)})`,
      evidence: {
        sensor_value: reading.value,
        sensor_unit: reading.unit,
        sensor_type: reading.sensor_type,
        quality_score: reading.quality,
        feature_vector: features.named,
      },
      recommended_actions: [...RECOMMENDED_ACTIONS],
      created_at: legacyTimestamp(deps.now?.()),
      status: 'open',
    });
  }
  return {
    anomalies_detected: alerts,
    total_readings_analyzed: request.sensor_readings.length,
    anomaly_count: alerts.length,
    model_info: {
      model_name: request.model_name,
      model_version: meta.version,
      sensitivity: pyFixed(sensitivity, 3),
      loaded_from: LOADED_FROM,
    },
    analysis_timestamp: legacyTimestamp(deps.now?.()),
    request_id: deps.newId(),
  };
}
