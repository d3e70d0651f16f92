/**
 * The audit trail of a route's flags (`proxy_route_events`): every plan step, pause, resume, abort,
 * automatic rollback and manual change through the CLI, with who (`cli:<user>`, `proxy:<replica>`),
 * when, what (summary) and why (detail: the judge's evidence for automatic decisions).
 *
 *   npm run flags -- history ml-predict
 *   2026-12-06 06:40:12  rollout-step   proxy:host:123:ab  live 25% (step 2/4): judge passed on 120 pairs at 5%
 */
import type { PgPool } from '@smp/platform';

/**
 * The route events table (the audit of every action on a route's flags, and the report's timeline).
 * One definition: the flags CLI's rollout migrations and the proxy's report schema both run it.
 */
export const ROUTE_EVENTS_DDL = `
      CREATE TABLE IF NOT EXISTS proxy_route_events (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        route text NOT NULL,
        kind text NOT NULL,
        actor text NOT NULL,
        summary text NOT NULL,
        detail jsonb,
        subject text NOT NULL DEFAULT '',
        state text
      );
      CREATE INDEX IF NOT EXISTS proxy_route_events_route_at ON proxy_route_events (route, at DESC);
      CREATE INDEX IF NOT EXISTS proxy_route_events_subject ON proxy_route_events (route, kind, subject, at DESC);
`;

export type RouteEventKind =
  | 'rollout-start'
  | 'rollout-step'
  | 'rollout-pause'
  | 'rollout-resume'
  | 'rollout-abort'
  | 'rollout-complete'
  | 'rollback'
  | 'manual-flag-change';

export interface RouteEvent {
  readonly at: number;
  readonly route: string;
  readonly kind: RouteEventKind | (string & {});
  readonly actor: string;
  readonly summary: string;
  readonly detail: unknown;
}

export async function appendRouteEvent(pool: PgPool, e: RouteEvent): Promise<void> {
  await pool.query('INSERT INTO proxy_route_events (at, route, kind, actor, summary, detail) VALUES ($1, $2, $3, $4, $5, $6)', [
    new Date(e.at),
    e.route,
    e.kind,
    e.actor,
    e.summary,
    e.detail === null || e.detail === undefined ? null : JSON.stringify(e.detail),
  ]);
}

/** A route's events in the order they were written (the last `limit`): replicas' clocks may differ, the sequence does not. */
export async function listRouteEvents(pool: PgPool, route: string, limit = 200): Promise<RouteEvent[]> {
  const { rows } = await pool.query<{ at: Date; route: string; kind: string; actor: string; summary: string; detail: unknown }>(
    'SELECT at, route, kind, actor, summary, detail FROM (SELECT * FROM proxy_route_events WHERE route = $1 ORDER BY id DESC LIMIT $2) e ORDER BY id',
    [route, limit],
  );
  return rows.map((r) => ({ at: r.at.getTime(), route: r.route, kind: r.kind, actor: r.actor, summary: r.summary, detail: r.detail }));
}

/** One line per event; automatic decisions' evidence indented below them. */
export function formatHistory(route: string, events: readonly RouteEvent[]): string {
  if (events.length === 0) return `${route}: no recorded events`;
  const lines = [`${route}: ${events.length} event${events.length === 1 ? '' : 's'}`];
  for (const e of events) {
    const when = new Date(e.at).toISOString().replace('T', ' ').slice(0, 19);
    lines.push(`${when}  ${e.kind.padEnd(18)} ${e.actor.padEnd(24)} ${e.summary}`);
    if (e.detail !== null && e.detail !== undefined) lines.push(`    evidence: ${JSON.stringify(e.detail)}`);
  }
  return lines.join('\n');
}
