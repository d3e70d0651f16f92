/**
 * Which threshold a legacy ML request runs with once per-sensor overrides exist. The body's own
 * value always wins; only a field *absent* from the JSON falls back to the sensor's stored override,
 * then to the legacy default — so with no overrides stored every answer is the monolith's:
 *
 *   check_drift {sensor_id:'pump-7'}                      + override p=0.01  -> p_value_threshold 0.01
 *   check_drift {sensor_id:'pump-7', p_value_threshold:0.05} + override       -> 0.05 (the body's)
 *   detect_anomaly [a1, a2, b1, a3] (no sensitivity), overrides a=0.8, b none
 *     -> runs [a1,a2]@0.8, [b1]@0.5, [a3]@0.8, scored in order and merged into one answer
 * detect_anomaly takes one sensitivity per call, so a request mixing sensors with different
 * effective sensitivities is scored as consecutive runs (reading order, and so alert order, kept);
 * `model_info.sensitivity` then reports the first reading's value and each alert's description
 * states the sensitivity it was flagged with.
 */
import { checkDriftRequestSchema, detectAnomalyRequestSchema } from '@smp/ml';

/** The legacy body defaults, read from the shared request schemas (never restated). */
export const LEGACY_DEFAULTS = Object.freeze({
  sensitivity: detectAnomalyRequestSchema.parse({ sensor_readings: [] }).sensitivity,
  p_value_threshold: checkDriftRequestSchema.parse({ sensor_id: '-' }).p_value_threshold,
});

/** Whether the raw JSON body gave `field` itself (a default filled in by validation does not count). */
export function bodyHas(rawBody: unknown, field: string): boolean {
  return typeof rawBody === 'object' && rawBody !== null && !Array.isArray(rawBody) && Object.hasOwn(rawBody, field);
}

/** A stretch of consecutive readings scored with one sensitivity: readings[start, end). */
export interface SensitivityRun {
  start: number;
  end: number;
  sensitivity: number;
}

/** Cut readings into maximal runs of equal effective sensitivity (override of the sensor, else `fallback`). */
export function sensitivityRuns(
  readings: ReadonlyArray<{ sensor_id: string }>,
  overrides: ReadonlyMap<string, number | null>,
  fallback: number,
): SensitivityRun[] {
  const runs: SensitivityRun[] = [];
  readings.forEach((r, i) => {
    const s = overrides.get(r.sensor_id) ?? fallback;
    const last = runs[runs.length - 1];
    if (last && last.sensitivity === s) last.end = i + 1;
    else runs.push({ start: i, end: i + 1, sensitivity: s });
  });
  return runs;
}

/** The parts of a detect_anomaly answer that merging touches. */
export interface DetectAnswer<A> {
  anomalies_detected: A[];
  total_readings_analyzed: number;
  anomaly_count: number;
}

/** One answer from the runs' answers (in run order): the first run's metadata, every run's alerts and counts. */
export function mergeRunAnswers<A, R extends DetectAnswer<A>>(answers: readonly R[]): R {
  if (answers.length === 0) throw new Error('mergeRunAnswers needs at least one answer');
  const [first] = answers;
  if (answers.length === 1) return first;
  const alerts = answers.flatMap((a) => a.anomalies_detected);
  return {
    ...first,
    anomalies_detected: alerts,
    total_readings_analyzed: answers.reduce((n, a) => n + a.total_readings_analyzed, 0),
    anomaly_count: alerts.length,
  };
}
