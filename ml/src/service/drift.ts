/**
 * POST /api/v1/ml/check_drift as an operation: a two-sided two-sample Kolmogorov–Smirnov test of
 * a sensor's recent window `[now−W, now]` against the window before it `[now−2W, now−W]` (both
 * inclusive, each at most the 5 × min_samples newest readings), p-value as scipy's ks_2samp:
 *
 *   await checkDriftOperation({ sensor_id: 'pump-7', window_minutes: 60, p_value_threshold: 0.05, min_samples: 30 }, { readings, newId })
 *   // { sensor_id: 'pump-7', recent_count: 60, baseline_count: 60, window_minutes: 60, ks_statistic: 0.45,
 *   //   p_value: 0.0000061, p_value_threshold: 0.05, drift_detected: true, insufficient_data: false, request_id, evaluated_at, notes: null }
 *
 * Too few readings in either window is an answer, not an error (`insufficient_data: true`), and an
 * unknown sensor simply has none. The route limits it to DRIFT_RATE_LIMIT per client.
 */
import { legacyTimestamp } from '@smp/platform';
import { ks2samp } from '../drift/ks-2samp.js';
import type { ReadingsReader } from './readings.js';
import type { CheckDriftRequest } from './schemas.js';

/** The legacy limit on check_drift: 10 per fixed minute, per API key or client IP, shared via Redis. */
export const DRIFT_RATE_LIMIT = Object.freeze({ name: 'check_drift', limit: 10, windowSeconds: 60 });

/** How many readings per window the query may return, per required sample. */
export const DRIFT_FETCH_FACTOR = 5;

export interface CheckDriftResponse {
  sensor_id: string;
  recent_count: number;
  baseline_count: number;
  window_minutes: number;
  ks_statistic: number | null;
  p_value: number | null;
  p_value_threshold: number;
  drift_detected: boolean;
  insufficient_data: boolean;
  request_id: string;
  evaluated_at: string;
  notes: string | null;
}

export interface CheckDriftDeps {
  readings: Pick<ReadingsReader, 'windowReadings'>;
  now?: () => Date;
  newId: () => string;
}

export async function checkDriftOperation(request: CheckDriftRequest, deps: CheckDriftDeps): Promise<CheckDriftResponse> {
  const now = deps.now?.() ?? new Date();
  const windowMs = request.window_minutes * 60_000;
  const recentStart = new Date(now.getTime() - windowMs);
  const baselineStart = new Date(now.getTime() - 2 * windowMs);
  const limit = request.min_samples * DRIFT_FETCH_FACTOR;
  const [baseline, recent] = await Promise.all([
    deps.readings.windowReadings(request.sensor_id, baselineStart, recentStart, limit),
    deps.readings.windowReadings(request.sensor_id, recentStart, now, limit),
  ]);
  let ksStatistic: number | null = null;
  let pValue: number | null = null;
  let driftDetected = false;
  let notes: string | null = null;
  const insufficient = baseline.length < request.min_samples || recent.length < request.min_samples;
  if (insufficient) {
    notes = `Insufficient samples: baseline=${baseline.length}, recent=${recent.length}, required=${request.min_samples}`;
  } else {
    try {
      const result = ks2samp(
        baseline.map((r) => r.value),
        recent.map((r) => r.value),
      );
      ksStatistic = result.statistic;
      pValue = result.pvalue;
      driftDetected = pValue < request.p_value_threshold;
    } catch (err) {
      notes = `Stats computation error: ${(err as Error).message}`;
    }
  }
  return {
    sensor_id: request.sensor_id,
    recent_count: recent.length,
    baseline_count: baseline.length,
    window_minutes: request.window_minutes,
    ks_statistic: ksStatistic,
    p_value: pValue,
    p_value_threshold: request.p_value_threshold,
    drift_detected: driftDetected,
    insufficient_data: insufficient,
    request_id: deps.newId(),
    evaluated_at: legacyTimestamp(now),
    notes,
  };
}
