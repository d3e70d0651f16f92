/**
 * The tables this service owns, applied at start with the platform's `migrate()` under its own
 * bookkeeping table (`anomaly_service_migrations`), so they live beside the monolith's tables in
 * the shared database without touching them. `sensor_readings` and `anomaly_alerts` are NOT here:
 * the monolith's migrations own them and this service only reads / appends.
 *
 *   sensor_thresholds  one row per sensor with an override: {sensor_id:'pump-7', sensitivity:0.8, p_value_threshold:null}
 *   drift_results      every check_drift answer this service computed, newest per sensor first
 */
import type { Migration } from '@smp/platform';

export const MIGRATIONS_TABLE = 'anomaly_service_migrations';

export const migrations: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'sensor thresholds and drift results',
    sql: `
      CREATE TABLE sensor_thresholds (
        sensor_id text PRIMARY KEY,
        sensitivity double precision CHECK (sensitivity >= 0 AND sensitivity <= 1),
        p_value_threshold double precision CHECK (p_value_threshold > 0 AND p_value_threshold < 1),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE drift_results (
        id bigserial PRIMARY KEY,
        sensor_id text NOT NULL,
        request_id text NOT NULL,
        evaluated_at timestamptz NOT NULL,
        window_minutes integer NOT NULL,
        min_samples integer NOT NULL,
        p_value_threshold double precision NOT NULL,
        recent_count integer NOT NULL,
        baseline_count integer NOT NULL,
        ks_statistic double precision,
        p_value double precision,
        drift_detected boolean NOT NULL,
        insufficient_data boolean NOT NULL,
        notes text
      );
      CREATE INDEX drift_results_sensor_latest ON drift_results (sensor_id, evaluated_at DESC, id DESC);
    `,
  },
]);
