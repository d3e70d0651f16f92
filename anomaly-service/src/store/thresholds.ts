/**
 * Per-sensor threshold overrides: what detect_anomaly (`sensitivity`) and check_drift
 * (`p_value_threshold`) use for a sensor when the request body leaves the field out.
 *
 *   PUT {sensitivity: 0.8}                 -> row {sensor_id:'pump-7', sensitivity:0.8, p_value_threshold:null}
 *   detect_anomaly without `sensitivity`   -> 0.8 for pump-7's readings; the body's own value always wins
 * A PUT replaces the sensor's overrides whole: a field left out (or null) means "no override".
 */
import { dbTimestampSql, type PgPool } from '@smp/platform';

/** A sensor's stored overrides; null fields fall back to the legacy body defaults. */
export interface SensorThresholds {
  sensor_id: string;
  sensitivity: number | null;
  p_value_threshold: number | null;
  /** When the overrides were last written (`…+00:00`), null when none were ever stored. */
  updated_at: string | null;
}

/** The overrides a PUT writes. */
export interface ThresholdOverrides {
  sensitivity: number | null;
  p_value_threshold: number | null;
}

interface Row {
  sensor_id: string;
  sensitivity: number | null;
  p_value_threshold: number | null;
  updated_at: string;
}

const COLUMNS = `sensor_id, sensitivity, p_value_threshold, ${dbTimestampSql('updated_at')} AS updated_at`;

function fromRow(row: Row): SensorThresholds {
  return {
    sensor_id: row.sensor_id,
    sensitivity: row.sensitivity,
    p_value_threshold: row.p_value_threshold,
    updated_at: row.updated_at,
  };
}

/** Reads and writes `sensor_thresholds`; every method is one statement on the injected pool. */
export class ThresholdStore {
  constructor(private readonly pool: PgPool) {}

  /** The sensor's overrides, or all-null when none are stored. */
  async get(sensorId: string): Promise<SensorThresholds> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM sensor_thresholds WHERE sensor_id = $1`,
      [sensorId],
    );
    return rows[0] ? fromRow(rows[0]) : { sensor_id: sensorId, sensitivity: null, p_value_threshold: null, updated_at: null };
  }

  /** Overrides for several sensors at once (sensors without a row are absent from the map). */
  async getMany(sensorIds: readonly string[]): Promise<Map<string, SensorThresholds>> {
    const out = new Map<string, SensorThresholds>();
    if (sensorIds.length === 0) return out;
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM sensor_thresholds WHERE sensor_id = ANY($1::text[])`,
      [[...new Set(sensorIds)]],
    );
    for (const row of rows) out.set(row.sensor_id, fromRow(row));
    return out;
  }

  /** Replace the sensor's overrides; returns what is now stored. */
  async put(sensorId: string, overrides: ThresholdOverrides): Promise<SensorThresholds> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO sensor_thresholds (sensor_id, sensitivity, p_value_threshold, updated_at)
       VALUES ($1, $2, $3, now())
       ON CONFLICT (sensor_id) DO UPDATE
         SET sensitivity = EXCLUDED.sensitivity, p_value_threshold = EXCLUDED.p_value_threshold, updated_at = now()
       RETURNING ${COLUMNS}`,
      [sensorId, overrides.sensitivity, overrides.p_value_threshold],
    );
    return fromRow(rows[0]);
  }
}
