/**
 * The comparison store's schema, applied at start with the platform's `migrate()` (bookkeeping in
 * `proxy_schema_migrations`, so the proxy can share a database with other components):
 *
 *   proxy_comparisons          one row per pair (bounded diffs; both bodies, capped, for mismatches)
 *   proxy_comparison_rollups   per route, minute and model-version pair: counts, ML agreement and
 *                              log-bucket latency histograms of both sides (mergeable, so a summary
 *                              over hours reads minutes, not millions of rows)
 *   proxy_diff_path_rollups    per route, minute and generalised path: how often it differed, with
 *                              the latest example
 *   proxy_rollback_events      rollbacks and resumes with the verdict's evidence
 *   proxy_label_rollups        (v2) per route, minute and label pair: the ML confusion matrix
 *   proxy_route_events         (v2) what happened to a route, for the report's timeline: flag
 *                              changes, judge decisions, rollout steps, pauses, aborts, rollbacks,
 *                              manual changes through the CLI (the flags CLI creates it the same way)
 *   (v3) a `variant` column on pairs and rollups: the flag variant the candidate answered with, so
 *   a shadowed model version is reported apart from the default one
 *   proxy_comparisons.request_*  (v4) a mismatch's request (URL as the client sent it, content type,
 *                              capped body), so an engineer can replay it from the report
 *   proxy_noise_calibration    (v5) per route and generalised path: how often two legacy answers to
 *                              the same request differed there (noise-snapshots.ts), for the file report
 */
import { migrate, type Migration, type PgPool } from '@smp/platform';
import { ROUTE_EVENTS_DDL } from '@smp/flags/route-events';

export const MIGRATIONS_TABLE = 'proxy_schema_migrations';

export const REPORT_MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    name: 'comparisons, rollups and rollback events',
    sql: `
      CREATE TABLE IF NOT EXISTS proxy_comparisons (
        id bigserial PRIMARY KEY,
        route text NOT NULL,
        at timestamptz NOT NULL,
        mode text NOT NULL,
        request_id text,
        method text,
        live_percent real,
        shadow_percent real,
        legacy_status integer,
        candidate_status integer,
        legacy_error text,
        candidate_error text,
        legacy_latency_ms real,
        candidate_latency_ms real,
        outcome text NOT NULL,
        reason text,
        diff_count integer NOT NULL DEFAULT 0,
        diffs jsonb,
        legacy_version text,
        candidate_version text,
        ml jsonb,
        legacy_body text,
        candidate_body text
      );
      CREATE INDEX IF NOT EXISTS proxy_comparisons_route_at ON proxy_comparisons (route, at DESC);
      CREATE INDEX IF NOT EXISTS proxy_comparisons_at ON proxy_comparisons (at);

      CREATE TABLE IF NOT EXISTS proxy_comparison_rollups (
        route text NOT NULL,
        minute timestamptz NOT NULL,
        legacy_version text NOT NULL DEFAULT '',
        candidate_version text NOT NULL DEFAULT '',
        pairs integer NOT NULL DEFAULT 0,
        matches integer NOT NULL DEFAULT 0,
        mismatches integer NOT NULL DEFAULT 0,
        not_compared integer NOT NULL DEFAULT 0,
        legacy_errors integer NOT NULL DEFAULT 0,
        candidate_errors integer NOT NULL DEFAULT 0,
        label_total integer NOT NULL DEFAULT 0,
        label_agree integer NOT NULL DEFAULT 0,
        confidence_delta_sum double precision NOT NULL DEFAULT 0,
        confidence_delta_max double precision NOT NULL DEFAULT 0,
        flagged_total integer NOT NULL DEFAULT 0,
        flagged_agree integer NOT NULL DEFAULT 0,
        drift_total integer NOT NULL DEFAULT 0,
        drift_agree integer NOT NULL DEFAULT 0,
        legacy_hist integer[] NOT NULL,
        candidate_hist integer[] NOT NULL,
        PRIMARY KEY (route, minute, legacy_version, candidate_version)
      );
      CREATE INDEX IF NOT EXISTS proxy_comparison_rollups_minute ON proxy_comparison_rollups (minute);

      CREATE TABLE IF NOT EXISTS proxy_diff_path_rollups (
        route text NOT NULL,
        minute timestamptz NOT NULL,
        path text NOT NULL,
        count integer NOT NULL,
        example jsonb,
        PRIMARY KEY (route, minute, path)
      );
      CREATE INDEX IF NOT EXISTS proxy_diff_path_rollups_minute ON proxy_diff_path_rollups (minute);

      CREATE TABLE IF NOT EXISTS proxy_rollback_events (
        id bigserial PRIMARY KEY,
        route text NOT NULL,
        kind text NOT NULL,
        at timestamptz NOT NULL,
        decided_by text NOT NULL,
        reason text NOT NULL,
        evidence jsonb
      );
      CREATE INDEX IF NOT EXISTS proxy_rollback_events_route_at ON proxy_rollback_events (route, at DESC);
    `,
  },
  {
    version: 2,
    name: 'label rollups and route events',
    sql: `
      CREATE TABLE IF NOT EXISTS proxy_label_rollups (
        route text NOT NULL,
        minute timestamptz NOT NULL,
        legacy_label text NOT NULL,
        candidate_label text NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (route, minute, legacy_label, candidate_label)
      );
      CREATE INDEX IF NOT EXISTS proxy_label_rollups_minute ON proxy_label_rollups (minute);

      ${ROUTE_EVENTS_DDL}
    `,
  },
  {
    version: 3,
    name: 'comparisons and rollups split by flag variant',
    sql: `
      ALTER TABLE proxy_comparisons ADD COLUMN IF NOT EXISTS variant text;
      ALTER TABLE proxy_comparison_rollups ADD COLUMN IF NOT EXISTS variant text NOT NULL DEFAULT '';
      ALTER TABLE proxy_comparison_rollups DROP CONSTRAINT IF EXISTS proxy_comparison_rollups_pkey;
      ALTER TABLE proxy_comparison_rollups ADD PRIMARY KEY (route, minute, variant, legacy_version, candidate_version);
    `,
  },
  {
    version: 4,
    name: 'the request of a recorded mismatch',
    sql: `
      ALTER TABLE proxy_comparisons
        ADD COLUMN IF NOT EXISTS request_url text,
        ADD COLUMN IF NOT EXISTS request_content_type text,
        ADD COLUMN IF NOT EXISTS request_body text;
    `,
  },
  {
    version: 5,
    name: 'noise calibration per route and path',
    sql: `
      CREATE TABLE IF NOT EXISTS proxy_noise_calibration (
        route text NOT NULL,
        path text NOT NULL,
        samples bigint NOT NULL,
        differed bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (route, path)
      );
    `,
  },
]);

/** Apply pending migrations; returns the versions applied. */
export function migrateReportSchema(pool: PgPool): Promise<number[]> {
  return migrate(pool, { table: MIGRATIONS_TABLE, migrations: REPORT_MIGRATIONS });
}
