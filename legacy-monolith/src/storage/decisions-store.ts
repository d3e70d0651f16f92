/**
 * Human decisions in PostgreSQL: submitted through POST /api/v1/decisions/submit, listed newest
 * first with filters by GET /api/v1/decisions.
 */
import { dbTimestampSql, type PgPool } from '@smp/platform';

export interface NewDecision {
  id: string;
  request_id: string;
  decision: string;
  operator_id: string;
  justification: string | null;
  /** timestamptz text; null: the database's now(). */
  timestamp: string | null;
  confidence: number;
  additional_notes: string | null;
  correlation_id: string | null;
}

/** A stored decision as the API returns it. */
export interface DecisionItem {
  id: string;
  request_id: string;
  decision: string;
  operator_id: string;
  justification: string | null;
  timestamp: string;
  confidence: number;
  additional_notes: string | null;
  correlation_id: string | null;
}

export interface DecisionsFilter {
  limit: number;
  offset: number;
  operatorId: string | null;
  requestId: string | null;
  correlationId: string | null;
  start: string | null;
  end: string | null;
}

const COLUMNS = `id::text AS id, request_id, decision, operator_id, justification, ${dbTimestampSql('"timestamp"')} AS ts, confidence, additional_notes, correlation_id`;

type Row = Omit<DecisionItem, 'timestamp'> & { ts: string };
const toItem = (r: Row): DecisionItem => ({
  id: r.id,
  request_id: r.request_id,
  decision: r.decision,
  operator_id: r.operator_id,
  justification: r.justification,
  timestamp: r.ts,
  confidence: r.confidence,
  additional_notes: r.additional_notes,
  correlation_id: r.correlation_id,
});

export class DecisionsStore {
  constructor(private readonly pool: PgPool) {}

  async insert(d: NewDecision): Promise<DecisionItem> {
    const { rows } = await this.pool.query<Row>(
      `INSERT INTO human_decisions (id, request_id, decision, operator_id, justification, "timestamp", confidence, additional_notes, correlation_id)
       VALUES ($1, $2, $3, $4, $5, COALESCE($6::timestamptz, now()), $7, $8, $9)
       RETURNING ${COLUMNS}`,
      [d.id, d.request_id, d.decision, d.operator_id, d.justification, d.timestamp, d.confidence, d.additional_notes, d.correlation_id],
    );
    return toItem(rows[0]);
  }

  async list(filter: DecisionsFilter): Promise<DecisionItem[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      values.push(value);
      where.push(sql.replace('?', `$${values.length}`));
    };
    if (filter.operatorId !== null) add('operator_id = ?', filter.operatorId);
    if (filter.requestId !== null) add('request_id = ?', filter.requestId);
    if (filter.correlationId !== null) add('correlation_id = ?', filter.correlationId);
    if (filter.start !== null) add('"timestamp" >= ?::timestamptz', filter.start);
    if (filter.end !== null) add('"timestamp" <= ?::timestamptz', filter.end);
    values.push(filter.limit, filter.offset);
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM human_decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY "timestamp" DESC, id LIMIT $${values.length - 1} OFFSET $${values.length}`,
      values,
    );
    return rows.map(toItem);
  }
}
