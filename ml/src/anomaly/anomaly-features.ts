/**
 * The seven features `detect_anomaly` gives the isolation forest for one reading, from the reading
 * and its sensor's history (the legacy API's rule, seed-api.md):
 *
 * - history: the sensor's 12 newest stored readings, newest first, keeping those strictly before
 *   the reading's timestamp (all of them when either timestamp is missing); `[value]` if none left;
 * - `value_lag_k` (k = 1…5): the k-th newest kept value, or the oldest when fewer than k;
 * - `value_scaled`: min-max of the value over [min(12.816, lags, value), max(83.193, lags, value)]
 *   where "lags" are the five `value_lag_k`; 0.5 when that range is empty;
 * - `quality_scaled`: the reading's quality (default 1.0).
 *
 *   anomalyFeatures({ value: 45, quality: 1 }, [{ value: 25 }, { value: 24.8 }])
 *   // vector [25, 24.8, 24.8, 24.8, 24.8, 0.457…, 1]
 */

/** Feature order of every `anomaly_detector_refined_v2` version. */
export const ANOMALY_FEATURE_NAMES = Object.freeze([
  'value_lag_1',
  'value_lag_2',
  'value_lag_3',
  'value_lag_4',
  'value_lag_5',
  'value_scaled',
  'quality_scaled',
] as const);

/** How many stored readings of the sensor the feature builder looks at. */
export const ANOMALY_HISTORY_SIZE = 12;

/** The fixed ends of `value_scaled`'s range, from the legacy model's training data. */
export const VALUE_SCALE_MIN = 12.816;
export const VALUE_SCALE_MAX = 83.193;

/** The reading being scored. */
export interface AnomalyReadingInput {
  value: number;
  /** Defaults to 1.0. */
  quality?: number;
  timestamp?: Date | null;
}

/** A stored reading of the same sensor. */
export interface AnomalyHistoryReading {
  value: number;
  timestamp?: Date | null;
}

/** The vector in `ANOMALY_FEATURE_NAMES` order and the same numbers by name (for alert evidence). */
export interface AnomalyFeatures {
  vector: number[];
  named: Record<(typeof ANOMALY_FEATURE_NAMES)[number], number>;
}

/**
 * Features of `reading` given `history`: the sensor's newest stored readings, newest first
 * (only the first `ANOMALY_HISTORY_SIZE` are used).
 */
export function anomalyFeatures(reading: AnomalyReadingInput, history: readonly AnomalyHistoryReading[]): AnomalyFeatures {
  const value = reading.value;
  const quality = reading.quality ?? 1.0;
  const at = validTime(reading.timestamp);
  const kept: number[] = [];
  for (const h of history.slice(0, ANOMALY_HISTORY_SIZE)) {
    const t = validTime(h.timestamp);
    if (at === undefined || t === undefined || t < at) kept.push(h.value);
  }
  if (kept.length === 0) kept.push(value);
  const lags = [1, 2, 3, 4, 5].map((k) => kept[Math.min(k, kept.length) - 1]);
  const lo = Math.min(VALUE_SCALE_MIN, ...lags, value);
  const hi = Math.max(VALUE_SCALE_MAX, ...lags, value);
  const scaled = hi - lo > 0 ? (value - lo) / (hi - lo) : 0.5;
  const vector = [...lags, scaled, quality];
  return {
    vector,
    named: {
      value_lag_1: lags[0],
      value_lag_2: lags[1],
      value_lag_3: lags[2],
      value_lag_4: lags[3],
      value_lag_5: lags[4],
      value_scaled: scaled,
      quality_scaled: quality,
    },
  };
}

function validTime(t: Date | null | undefined): number | undefined {
  if (!t) return undefined;
  const ms = t.getTime();
  return Number.isNaN(ms) ? undefined : ms;
}
