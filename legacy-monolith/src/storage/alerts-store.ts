/**
 * Anomaly alerts in PostgreSQL: the alerts detect_anomaly raises are kept (the reports count them),
 * written in one statement per request.
 */
import type { PgPool } from '@smp/platform';
import type { AnomalyAlert } from '@smp/ml';

export class AlertsStore {
  constructor(private readonly pool: PgPool) {}

  async insertMany(alerts: readonly AnomalyAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.pool.query(
      `INSERT INTO anomaly_alerts (id, sensor_id, anomaly_type, severity, confidence, description, evidence, recommended_actions, status, created_at)
       SELECT id, sensor_id, anomaly_type, severity, confidence, description, evidence,
              ARRAY(SELECT jsonb_array_elements_text(actions)), status, created_at AT TIME ZONE 'UTC'
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::float8[], $6::text[], $7::jsonb[], $8::jsonb[], $9::text[], $10::timestamp[])
         AS a(id, sensor_id, anomaly_type, severity, confidence, description, evidence, actions, status, created_at)
       ON CONFLICT (id) DO NOTHING`,
      [
        alerts.map((a) => a.id),
        alerts.map((a) => a.sensor_id),
        alerts.map((a) => a.anomaly_type),
        alerts.map((a) => a.severity),
        alerts.map((a) => a.confidence),
        alerts.map((a) => a.description),
        alerts.map((a) => JSON.stringify(a.evidence)),
        alerts.map((a) => JSON.stringify(a.recommended_actions)),
        alerts.map((a) => a.status),
        alerts.map((a) => a.created_at),
      ],
    );
  }
}
