/**
 * Every check_drift answer this service computed, kept so `GET …/sensors/{id}/drift-status` can
 * say what the latest verdict for a sensor was, with its statistics and when it was computed:
 *
 *   check_drift {sensor_id:'pump-7'} -> {drift_detected:true, p_value:0.0004, evaluated_at:'2025-08-21T10:00:00.123456', …}
 *   drift-status pump-7              -> that body's fields, plus the min_samples it was computed with,
 *                                       evaluated_at:'2025-08-21T10:00:00.123456+00:00'
 * `evaluated_at` keeps its microseconds (timestamptz); read back from the database it carries
 * `+00:00`, as every stored time of the legacy API does.
 */
import { dbTimestampSql, type PgPool } from '@smp/platform';
import type { CheckDriftResponse } from '@smp/ml';

/** The check_drift response body, as the shared operation shapes it. */
export type DriftVerdict = CheckDriftResponse;

/** A stored verdict: the check_drift body plus the `min_samples` the check was asked for. */
export interface StoredDriftVerdict extends DriftVerdict {
  min_samples: number;
}

/** Appends to and reads `drift_results`. */
export class DriftResultStore {
  constructor(private readonly pool: PgPool) {}

  /** Record one computed verdict (`evaluated_at` is the body's UTC string without offset). */
  async record(verdict: DriftVerdict, minSamples: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO drift_results (sensor_id, request_id, evaluated_at, window_minutes, min_samples, p_value_threshold,
                                  recent_count, baseline_count, ks_statistic, p_value, drift_detected, insufficient_data, notes)
       VALUES ($1, $2, ($3::timestamp AT TIME ZONE 'UTC'), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        verdict.sensor_id,
        verdict.request_id,
        verdict.evaluated_at,
        verdict.window_minutes,
        minSamples,
        verdict.p_value_threshold,
        verdict.recent_count,
        verdict.baseline_count,
        verdict.ks_statistic,
        verdict.p_value,
        verdict.drift_detected,
        verdict.insufficient_data,
        verdict.notes,
      ],
    );
  }

  /** The newest verdict for the sensor, or undefined when it was never checked here. */
  async latest(sensorId: string): Promise<StoredDriftVerdict | undefined> {
    const { rows } = await this.pool.query<StoredDriftVerdict>(
      `SELECT sensor_id, recent_count, baseline_count, window_minutes, ks_statistic, p_value, p_value_threshold,
              drift_detected, insufficient_data, request_id,
              ${dbTimestampSql('evaluated_at')} AS evaluated_at,
              notes, min_samples
         FROM drift_results WHERE sensor_id = $1
        ORDER BY evaluated_at DESC, id DESC LIMIT 1`,
      [sensorId],
    );
    // Selected in the check_drift body's key order, so the row is the answer as it was given.
    return rows[0];
  }
}
