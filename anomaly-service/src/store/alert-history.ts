/**
 * Stored anomaly alerts (`anomaly_alerts`, written by detect_anomaly here and in the monolith),
 * filtered and paged for `GET /api/v1/anomaly/history`, newest first:
 *
 *   {sensor_id:'pump-7', min_severity:3, limit:2}
 *     -> {alerts:[{id, sensor_id:'pump-7', severity:4, created_at:'2025-08-21T10:00:00.123456+00:00', …}, …],
 *         total:17, limit:2, offset:0}
 * Alerts come back in the shape detect_anomaly answered them (key order included); `created_at`
 * is a database timestamp, so it carries `+00:00` like every stored time of the legacy API.
 */
import { dbTimestampSql, type PgPool } from '@smp/platform';
import type { AnomalyAlert } from '@smp/ml';

/** Filters and paging; every bound is inclusive. */
export interface AlertQuery {
  sensor_id?: string;
  /** timestamptz text (`2025-08-21T10:00:00.123456Z`). */
  start_time?: string;
  end_time?: string;
  /** 1..5: alerts with at least this severity. */
  min_severity?: number;
  limit: number;
  offset: number;
}

/** One stored alert, shaped as in detect_anomaly's `anomalies_detected` (evidence as stored, key order restored). */
export type StoredAlert = Omit<AnomalyAlert, 'evidence'> & { evidence: Record<string, unknown> };

/** A page of alerts and how many match in all. */
export interface AlertPage {
  alerts: StoredAlert[];
  total: number;
  limit: number;
  offset: number;
}

/** The order detect_anomaly writes evidence keys in; jsonb sorts keys, so it is restored on read. */
const EVIDENCE_ORDER = ['sensor_value', 'sensor_unit', 'sensor_type', 'quality_score', 'feature_vector'];
const FEATURE_ORDER = ['value_lag_1', 'value_lag_2', 'value_lag_3', 'value_lag_4', 'value_lag_5', 'value_scaled', 'quality_scaled'];

function ordered(value: unknown, order: readonly string[]): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of order) if (key in src) out[key] = src[key];
  for (const key of Object.keys(src)) if (!(key in out)) out[key] = src[key];
  return out;
}

/** Evidence with its keys (and its feature vector's) back in detect_anomaly's order. */
export function orderEvidence(evidence: unknown): Record<string, unknown> {
  const out = ordered(evidence ?? {}, EVIDENCE_ORDER) as Record<string, unknown>;
  if ('feature_vector' in out) out.feature_vector = ordered(out.feature_vector, FEATURE_ORDER);
  return out;
}

// `created_text`, not `created_at`: an output column of that name would make ORDER BY sort the text.
type Row = Omit<StoredAlert, 'evidence' | 'recommended_actions' | 'created_at'> & {
  evidence: unknown;
  recommended_actions: string[] | null;
  created_text: string;
  total: string;
};

/** Build the WHERE clause and its parameters for a query (pure, so it is tested as a table). */
export function alertFilter(query: AlertQuery): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    clauses.push(sql.replace('?', `$${params.length}`));
  };
  if (query.sensor_id !== undefined) add('sensor_id = ?', query.sensor_id);
  if (query.start_time !== undefined) add('created_at >= ?::timestamptz', query.start_time);
  if (query.end_time !== undefined) add('created_at <= ?::timestamptz', query.end_time);
  if (query.min_severity !== undefined) add('severity >= ?', query.min_severity);
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** Reads `anomaly_alerts` (the monolith's table; this service never creates it). */
export class AlertHistory {
  constructor(private readonly pool: PgPool) {}

  async page(query: AlertQuery): Promise<AlertPage> {
    const { where, params } = alertFilter(query);
    const n = params.length;
    const { rows } = await this.pool.query<Row>(
      `SELECT id::text AS id, sensor_id, anomaly_type, severity, confidence, description, evidence,
              recommended_actions, ${dbTimestampSql('created_at')} AS created_text, status, count(*) OVER () AS total
         FROM anomaly_alerts ${where}
        ORDER BY created_at DESC, id DESC
        LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...params, query.limit, query.offset],
    );
    let total = rows[0] ? Number(rows[0].total) : 0;
    if (rows.length === 0 && query.offset > 0) {
      // Past the last page the window count is unavailable; ask for it, so `total` stays truthful.
      const counted = await this.pool.query<{ total: string }>(`SELECT count(*) AS total FROM anomaly_alerts ${where}`, params);
      total = Number(counted.rows[0].total);
    }
    return {
      alerts: rows.map((r) => ({
        id: r.id,
        sensor_id: r.sensor_id,
        anomaly_type: r.anomaly_type,
        severity: r.severity,
        confidence: r.confidence,
        description: r.description,
        evidence: orderEvidence(r.evidence),
        recommended_actions: r.recommended_actions ?? [],
        created_at: r.created_text,
        status: r.status,
      })),
      total,
      limit: query.limit,
      offset: query.offset,
    };
  }
}
