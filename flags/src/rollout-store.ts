/**
 * Where rollout plans live: PostgreSQL (the database the proxy records comparisons in, DATABASE_URL),
 * so a plan survives a proxy restart, the next leader resumes at the same step, and the flags CLI
 * starts, pauses and reads plans without the proxy being up. One row per route:
 *
 *   proxy_rollout_plans (route PK, state jsonb, version, fence, updated_at)
 *
 * Every write is a compare-and-set on `version` (CLI and leader never overwrite each other's change:
 * the loser re-reads on its next turn) and, for the leader, on `fence`: a replica whose lease was
 * taken over (a smaller fencing token than the last writer's) cannot write any more.
 * `proxy_route_events` (the audit, route-events.ts) is created by the same migrations, with the very
 * DDL of the proxy's report schema (v2, proxy/src/report/report-schema.ts), whichever runs first.
 */
import { migrate, type Migration, type PgPool } from '@smp/platform';
import { RUNNING_PHASES, type PlanState } from './rollout-state.js';
import { ROUTE_EVENTS_DDL } from './route-events.js';

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
  /** Start a plan; false when the route already has a running one. */
  create(state: PlanState): Promise<boolean>;
  /** Compare-and-set; `fence` is the leader's token (omitted by the CLI). False: someone wrote first. */
  update(routeId: string, version: number, state: PlanState, fence?: number): Promise<boolean>;
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

  async create(state: PlanState): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO proxy_rollout_plans AS p (route, state) VALUES ($1, $2)
       ON CONFLICT (route) DO UPDATE SET state = EXCLUDED.state, version = p.version + 1, updated_at = now()
       WHERE p.state->>'phase' NOT IN (${RUNNING_SQL})`,
      [state.routeId, JSON.stringify(state)],
    );
    return rowCount === 1;
  }

  async update(routeId: string, version: number, state: PlanState, fence?: number): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE proxy_rollout_plans SET state = $3, version = version + 1, fence = GREATEST(fence, COALESCE($4::bigint, fence)), updated_at = now()
       WHERE route = $1 AND version = $2 AND ($4::bigint IS NULL OR fence <= $4::bigint)`,
      [routeId, version, JSON.stringify(state), fence ?? null],
    );
    return rowCount === 1;
  }
}

/** One process, no database: plans declared in the route table, lost on restart. */
export class MemoryRolloutStore implements RolloutStore {
  private readonly rows = new Map<string, { state: PlanState; version: number; fence: number }>();

  async list(): Promise<StoredPlan[]> {
    return [...this.rows.values()].sort((a, b) => a.state.routeId.localeCompare(b.state.routeId)).map(({ state, version }) => ({ state, version }));
  }

  async get(routeId: string): Promise<StoredPlan | undefined> {
    const r = this.rows.get(routeId);
    return r && { state: r.state, version: r.version };
  }

  async create(state: PlanState): Promise<boolean> {
    const r = this.rows.get(state.routeId);
    if (r && RUNNING_PHASES.includes(r.state.phase)) return false;
    this.rows.set(state.routeId, { state, version: (r?.version ?? 0) + 1, fence: r?.fence ?? 0 });
    return true;
  }

  async update(routeId: string, version: number, state: PlanState, fence?: number): Promise<boolean> {
    const r = this.rows.get(routeId);
    if (!r || r.version !== version || (fence !== undefined && r.fence > fence)) return false;
    this.rows.set(routeId, { state, version: version + 1, fence: Math.max(r.fence, fence ?? r.fence) });
    return true;
  }
}
