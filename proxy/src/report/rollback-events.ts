/**
 * Rollback and resume events in PostgreSQL: who decided, why, and the verdict's evidence, so a
 * rollback at 03:12 can be explained the next morning:
 *
 *   SELECT kind, at, decided_by, reason, evidence->'failed' FROM proxy_rollback_events WHERE route = 'ml-predict';
 */
import type { PgPool } from '@smp/platform';
import { rollbackEvidence, type RollbackAction, type RollbackEvent } from '../analysis/rollback-controller.js';

/** One stored event as the admin API shows it. */
export interface StoredRollbackEvent {
  readonly id: number;
  readonly route: string;
  readonly kind: 'rollback' | 'resume';
  readonly at: string;
  readonly decidedBy: string;
  readonly reason: string;
  readonly evidence: unknown;
}

/** The RollbackAction that records every rollback and resume. */
export function rollbackEventRecorder(pool: PgPool, ready: () => boolean = () => true): RollbackAction {
  return {
    name: 'record-event',
    on: ['rollback', 'resume'],
    async run(event: RollbackEvent): Promise<void> {
      if (!ready()) throw new Error('comparison schema not migrated yet (database unavailable at start)');
      const evidence = rollbackEvidence(event);
      await pool.query('INSERT INTO proxy_rollback_events (route, kind, at, decided_by, reason, evidence) VALUES ($1, $2, $3, $4, $5, $6)', [
        event.routeId,
        event.kind,
        new Date(event.at),
        event.by,
        event.reason,
        evidence === null ? null : JSON.stringify(evidence),
      ]);
    },
  };
}

export async function listRollbackEvents(pool: PgPool, options: { route?: string; since: Date; limit: number }): Promise<StoredRollbackEvent[]> {
  const { rows } = await pool.query<{ id: string; route: string; kind: 'rollback' | 'resume'; at: Date; decided_by: string; reason: string; evidence: unknown }>(
    `SELECT id, route, kind, at, decided_by, reason, evidence FROM proxy_rollback_events
     WHERE at >= $1 AND ($2::text IS NULL OR route = $2) ORDER BY at DESC LIMIT $3`,
    [options.since, options.route ?? null, options.limit],
  );
  return rows.map((r) => ({ id: Number(r.id), route: r.route, kind: r.kind, at: r.at.toISOString(), decidedBy: r.decided_by, reason: r.reason, evidence: r.evidence }));
}
