/**
 * Where rollout plans live: PostgreSQL (the database the proxy records comparisons in, DATABASE_URL),
 * so a plan survives a proxy restart, the next leader resumes at the same step, and the flags CLI
 * starts, pauses and reads plans without the proxy being up. One row per route:
 *
 *   proxy_rollout_plans (route PK, state jsonb, version, fence, updated_at)
 *
 * Every write is a compare-and-set on `version` (CLI and leader never overwrite each other's change:
 * the loser re-reads on its next turn) and, for the leader, on `fence`: a replica whose lease was
 * taken over (a smaller fencing token than the last writer's) cannot write any more. The audit rows
 * of a change (`events`) are written by the same statement as the plan row, only when it wins: a
 * writer that dies after its change cannot leave a plan step without its audit row, and a loser's
 * events are never written.
 * `proxy_route_events` (the audit, route-events.ts) is created by the same migrations, with the very
 * DDL of the proxy's report schema (v2, proxy/src/report/report-schema.ts), whichever runs first.
 */
import { migrate, type Migration, type PgPool } from '@smp/platform';
import { RUNNING_PHASES, type PlanState } from './rollout-state.js';
import { ROUTE_EVENTS_DDL, type RouteEvent } from './route-events.js';

export const ROLLOUT_MIGRATIONS_TABLE = 'rollout_schema_migrations';

export const ROLLOUT_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'rollout plans and route events',
    sql: `
      CREATE TABLE IF NOT EXISTS proxy_rollout_plans (
        route text PRIMARY KEY,
        state jsonb NOT NULL,
        version integer NOT NULL DEFAULT 1,
        fence bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      ${ROUTE_EVENTS_DDL}
    `,
  },
]);

export async function migrateRolloutSchema(pool: PgPool): Promise<void> {
  await migrate(pool, { table: ROLLOUT_MIGRATIONS_TABLE, migrations: ROLLOUT_MIGRATIONS });
}

export interface StoredPlan {
  readonly state: PlanState;
  readonly version: number;
}

/** The plans of every route. */
export interface RolloutStore {
  list(): Promise<StoredPlan[]>;
  get(routeId: string): Promise<StoredPlan | undefined>;
  /** Start a plan (and write its audit rows); false when the route already has a running one. */
  create(state: PlanState, events?: readonly RouteEvent[]): Promise<boolean>;
  /**
   * Compare-and-set, with the change's audit rows in the same statement; `fence` is the leader's
   * token (undefined for the CLI). False: someone wrote first (nothing written).
   */
  update(routeId: string, version: number, state: PlanState, fence?: number, events?: readonly RouteEvent[]): Promise<boolean>;
}

/** Events as one jsonb parameter for `jsonb_to_recordset`. */
function eventsJson(events: readonly RouteEvent[]): string {
  return JSON.stringify(events.map((e) => ({ at: new Date(e.at).toISOString(), route: e.route, kind: e.kind, actor: e.actor, summary: e.summary, detail: e.detail ?? null })));
}

/** Appended to a data-modifying CTE `w` (the plan write): the events (parameter `$n`), only when `w` wrote a row. */
function withEvents(n: number): string {
  return `,
  audit AS (
    INSERT INTO proxy_route_events (at, route, kind, actor, summary, detail)
    SELECT e.at, e.route, e.kind, e.actor, e.summary, e.detail
    FROM jsonb_to_recordset($${n}::jsonb) AS e(at timestamptz, route text, kind text, actor text, summary text, detail jsonb)
    WHERE EXISTS (SELECT 1 FROM w)
  )
  SELECT count(*)::int AS n FROM w`;
}

const RUNNING_SQL = RUNNING_PHASES.map((p) => `'${p}'`).join(', ');

export class PgRolloutStore implements RolloutStore {
  constructor(private readonly pool: PgPool) {}

  async list(): Promise<StoredPlan[]> {
    const { rows } = await this.pool.query<{ state: PlanState; version: number }>('SELECT state, version FROM proxy_rollout_plans ORDER BY route');
    return rows.map((r) => ({ state: r.state, version: r.version }));
  }

  async get(routeId: string): Promise<StoredPlan | undefined> {
    const { rows } = await this.pool.query<{ state: PlanState; version: number }>('SELECT state, version FROM proxy_rollout_plans WHERE route = $1', [routeId]);
    return rows[0];
  }

  async create(state: PlanState, events: readonly RouteEvent[] = []): Promise<boolean> {
    const { rows } = await this.pool.query<{ n: number }>(
      `WITH w AS (
         INSERT INTO proxy_rollout_plans AS p (route, state) VALUES ($1, $2)
         ON CONFLICT (route) DO UPDATE SET state = EXCLUDED.state, version = p.version + 1, updated_at = now()
         WHERE p.state->>'phase' NOT IN (${RUNNING_SQL})
         RETURNING 1
       )${withEvents(3)}`,
      [state.routeId, JSON.stringify(state), eventsJson(events)],
    );
    return rows[0].n === 1;
  }

  async update(routeId: string, version: number, state: PlanState, fence?: number, events: readonly RouteEvent[] = []): Promise<boolean> {
    const { rows } = await this.pool.query<{ n: number }>(
      `WITH w AS (
         UPDATE proxy_rollout_plans SET state = $3, version = version + 1, fence = GREATEST(fence, COALESCE($4::bigint, fence)), updated_at = now()
         WHERE route = $1 AND version = $2 AND ($4::bigint IS NULL OR fence <= $4::bigint)
         RETURNING 1
       )${withEvents(5)}`,
      [routeId, version, JSON.stringify(state), fence ?? null, eventsJson(events)],
    );
    return rows[0].n === 1;
  }
}

/** One process, no database: plans declared in the route table, lost on restart; the audit kept in memory. */
export class MemoryRolloutStore implements RolloutStore {
  private readonly rows = new Map<string, { state: PlanState; version: number; fence: number }>();
  /** The audit rows written with the plans (the last 1,000). */
  readonly events: RouteEvent[] = [];

  async list(): Promise<StoredPlan[]> {
    return [...this.rows.values()].sort((a, b) => a.state.routeId.localeCompare(b.state.routeId)).map(({ state, version }) => ({ state, version }));
  }

  async get(routeId: string): Promise<StoredPlan | undefined> {
    const r = this.rows.get(routeId);
    return r && { state: r.state, version: r.version };
  }

  async create(state: PlanState, events: readonly RouteEvent[] = []): Promise<boolean> {
    const r = this.rows.get(state.routeId);
    if (r && RUNNING_PHASES.includes(r.state.phase)) return false;
    this.rows.set(state.routeId, { state, version: (r?.version ?? 0) + 1, fence: r?.fence ?? 0 });
    this.audit(events);
    return true;
  }

  async update(routeId: string, version: number, state: PlanState, fence?: number, events: readonly RouteEvent[] = []): Promise<boolean> {
    const r = this.rows.get(routeId);
    if (!r || r.version !== version || (fence !== undefined && r.fence > fence)) return false;
    this.rows.set(routeId, { state, version: version + 1, fence: Math.max(r.fence, fence ?? r.fence) });
    this.audit(events);
    return true;
  }

  private audit(events: readonly RouteEvent[]): void {
    this.events.push(...events);
    if (this.events.length > 1_000) this.events.splice(0, this.events.length - 1_000);
  }
}
