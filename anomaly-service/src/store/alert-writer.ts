/**
 * Appends the alerts detect_anomaly raised to `anomaly_alerts` (the monolith's table), stored as
 * the monolith stores them, so reports and the history route see one stream whichever host
 * answered:
 *
 *   await writer.append(response.anomalies_detected)   // one INSERT (per 1,000 alerts), nothing when none
 * `created_at` is the alert's server-made UTC text (`2025-08-21T10:00:00.123456`), kept to the
 * microsecond; `evidence` is jsonb and `recommended_actions` text[].
 */
import { inTransaction, type PgPool } from '@smp/platform';
import type { AnomalyAlert } from '@smp/ml';
import { needingTables } from './legacy-tables.js';

const COLUMNS = 10;
/** Alerts per statement, well under PostgreSQL's 65,535 bind parameters. */
export const ALERTS_PER_STATEMENT = 1_000;

function insertStatement(alerts: readonly AnomalyAlert[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const rows = alerts.map((a, i) => {
    values.push(a.id, a.sensor_id, a.anomaly_type, a.severity, a.confidence, a.description, JSON.stringify(a.evidence), a.recommended_actions, a.status, a.created_at);
    const p = (k: number) => `$${i * COLUMNS + k}`;
    return `(${p(1)}::uuid, ${p(2)}, ${p(3)}, ${p(4)}::int, ${p(5)}::float8, ${p(6)}, ${p(7)}::jsonb, ${p(8)}::text[], ${p(9)}, (${p(10)}::timestamp AT TIME ZONE 'UTC'))`;
  });
  return {
    text: `INSERT INTO anomaly_alerts (id, sensor_id, anomaly_type, severity, confidence, description, evidence, recommended_actions, status, created_at)
           VALUES ${rows.join(', ')} ON CONFLICT (id) DO NOTHING`,
    values,
  };
}

export class AlertWriter {
  constructor(private readonly pool: PgPool) {}

  /** Store every alert of one answer, all or none. */
  async append(alerts: readonly AnomalyAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    await needingTables(this.pool, ['anomaly_alerts'], async () => {
      if (alerts.length <= ALERTS_PER_STATEMENT) {
        await this.pool.query(insertStatement(alerts));
        return;
      }
      await inTransaction(this.pool, async (client) => {
        for (let i = 0; i < alerts.length; i += ALERTS_PER_STATEMENT) await client.query(insertStatement(alerts.slice(i, i + ALERTS_PER_STATEMENT)));
      });
    });
  }
}
