/**
 * Reading the comparison store: recent pairs (`GET /comparisons`) and a per-route summary
 * (`GET /comparisons/summary`, the report CLI). Summaries read the per-minute rollups (so `since`
 * has minute resolution and latency quantiles are within ±10%), never millions of raw rows.
 *
 *   await summarizeComparisons(pool, { route: 'ml-predict', since: new Date(Date.now() - 3_600_000) })
 *   // [{ route, pairs: 5000, matchRate: 0.998, latency: { legacy: { p50, p95, p99 }, candidate: … },
 *   //    topPaths: [{ path: 'prediction[*]', count: 9, example: {…} }], models: [{ legacyVersion: '2', … }] }]
 */
import type { PgPool } from '@smp/platform';
import type { RecordedRequest } from './comparison-recorder.js';
import { histogramQuantile, HISTOGRAM_BUCKETS } from './latency-histogram.js';
import { listRollbackEvents, type StoredRollbackEvent } from './rollback-events.js';

/** One stored pair as the admin API returns it. */
export interface StoredComparison {
  readonly id: number;
  readonly route: string;
  readonly at: string;
  readonly mode: string;
  readonly requestId: string | null;
  readonly method: string | null;
  readonly livePercent: number | null;
  readonly shadowPercent: number | null;
  readonly legacy: { readonly status: number | null; readonly error: string | null; readonly latencyMs: number | null; readonly modelVersion: string | null };
  readonly candidate: { readonly status: number | null; readonly error: string | null; readonly latencyMs: number | null; readonly modelVersion: string | null };
  readonly outcome: string;
  readonly reason: string | null;
  readonly diffCount: number;
  readonly diffs: unknown;
  readonly ml: unknown;
  readonly legacyBody: string | null;
  readonly candidateBody: string | null;
  /** A mismatch's request (recorded since schema v4); null otherwise. */
  readonly request: RecordedRequest | null;
}

/** The request columns of a `proxy_comparisons` row, as the API and the report show them. */
export function storedRequest(row: { request_url: string | null; request_content_type: string | null; request_body: string | null }): RecordedRequest | null {
  return row.request_url === null ? null : { url: row.request_url, contentType: row.request_content_type, body: row.request_body };
}

export interface ListOptions {
  route?: string;
  since: Date;
  limit: number;
  outcome?: 'match' | 'mismatch' | 'not-compared';
}

export async function listComparisons(pool: PgPool, options: ListOptions): Promise<StoredComparison[]> {
  const { rows } = await pool.query(
    `SELECT id, route, at, mode, request_id, method, live_percent, shadow_percent, legacy_status, candidate_status,
            legacy_error, candidate_error, legacy_latency_ms, candidate_latency_ms, outcome, reason, diff_count, diffs,
            legacy_version, candidate_version, ml, legacy_body, candidate_body, request_url, request_content_type, request_body
     FROM proxy_comparisons
     WHERE at >= $1 AND ($2::text IS NULL OR route = $2) AND ($3::text IS NULL OR outcome = $3)
     ORDER BY at DESC, id DESC LIMIT $4`,
    [options.since, options.route ?? null, options.outcome ?? null, options.limit],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    route: r.route,
    at: (r.at as Date).toISOString(),
    mode: r.mode,
    requestId: r.request_id,
    method: r.method,
    livePercent: r.live_percent,
    shadowPercent: r.shadow_percent,
    legacy: { status: r.legacy_status, error: r.legacy_error, latencyMs: r.legacy_latency_ms, modelVersion: r.legacy_version },
    candidate: { status: r.candidate_status, error: r.candidate_error, latencyMs: r.candidate_latency_ms, modelVersion: r.candidate_version },
    outcome: r.outcome,
    reason: r.reason,
    diffCount: r.diff_count,
    diffs: r.diffs,
    ml: r.ml,
    legacyBody: r.legacy_body,
    candidateBody: r.candidate_body,
    request: storedRequest(r),
  }));
}

export interface LatencyQuantiles {
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
}

/** Agreement of the two models, per pair of model versions. */
export interface ModelAgreement {
  /** The flag variant the candidate answered with (null: none). */
  readonly variant: string | null;
  readonly legacyVersion: string;
  readonly candidateVersion: string;
  readonly pairs: number;
  readonly labelAgreement: number | null;
  readonly meanConfidenceDelta: number | null;
  readonly maxConfidenceDelta: number | null;
  readonly flaggedAgreement: number | null;
  readonly driftAgreement: number | null;
}

export interface RouteSummary {
  readonly route: string;
  readonly pairs: number;
  readonly matches: number;
  readonly mismatches: number;
  readonly notCompared: number;
  /** matches / (matches + mismatches); null without compared pairs. */
  readonly matchRate: number | null;
  readonly legacyErrors: number;
  readonly candidateErrors: number;
  readonly latency: { readonly legacy: LatencyQuantiles; readonly candidate: LatencyQuantiles };
  readonly topPaths: readonly { readonly path: string; readonly count: number; readonly example: unknown }[];
  readonly models: readonly ModelAgreement[];
  readonly rollbacks: readonly StoredRollbackEvent[];
}

export interface ComparisonSummary {
  readonly since: string;
  readonly generatedAt: string;
  readonly routes: readonly RouteSummary[];
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

export async function summarizeComparisons(pool: PgPool, options: { route?: string; since: Date; now?: Date; topPaths?: number }): Promise<ComparisonSummary> {
  const params = [options.since, options.route ?? null];
  const where = `minute >= date_trunc('minute', $1::timestamptz) AND ($2::text IS NULL OR route = $2)`;
  const [counts, hists, paths, events] = await Promise.all([
    pool.query(
      `SELECT route, variant, legacy_version, candidate_version, sum(pairs)::int AS pairs, sum(matches)::int AS matches,
              sum(mismatches)::int AS mismatches, sum(not_compared)::int AS not_compared, sum(legacy_errors)::int AS legacy_errors,
              sum(candidate_errors)::int AS candidate_errors, sum(label_total)::int AS label_total, sum(label_agree)::int AS label_agree,
              sum(confidence_delta_sum) AS cds, max(confidence_delta_max) AS cdm, sum(flagged_total)::int AS flagged_total,
              sum(flagged_agree)::int AS flagged_agree, sum(drift_total)::int AS drift_total, sum(drift_agree)::int AS drift_agree
       FROM proxy_comparison_rollups WHERE ${where}
       GROUP BY route, variant, legacy_version, candidate_version ORDER BY route, pairs DESC`,
      params,
    ),
    pool.query(
      `SELECT route, 'legacy' AS side, i::int AS i, sum(v)::int AS n FROM proxy_comparison_rollups, unnest(legacy_hist) WITH ORDINALITY AS u(v, i)
       WHERE ${where} GROUP BY route, i
       UNION ALL
       SELECT route, 'candidate', i::int, sum(v)::int FROM proxy_comparison_rollups, unnest(candidate_hist) WITH ORDINALITY AS u(v, i)
       WHERE ${where} GROUP BY route, i`,
      params,
    ),
    pool.query(
      `SELECT route, path, c::int AS count, example FROM (
         SELECT route, path, sum(count) AS c, (array_agg(example ORDER BY minute DESC))[1] AS example,
                row_number() OVER (PARTITION BY route ORDER BY sum(count) DESC, path) AS rank
         FROM proxy_diff_path_rollups WHERE ${where} GROUP BY route, path) ranked
       WHERE rank <= $3 ORDER BY route, c DESC, path`,
      [...params, options.topPaths ?? 10],
    ),
    listRollbackEvents(pool, { route: options.route, since: options.since, limit: 20 }),
  ]);

  const routes = new Map<string, { rows: Record<string, number | string | null>[]; legacy: number[]; candidate: number[] }>();
  const entry = (route: string) => {
    let e = routes.get(route);
    if (!e) {
      e = { rows: [], legacy: new Array<number>(HISTOGRAM_BUCKETS).fill(0), candidate: new Array<number>(HISTOGRAM_BUCKETS).fill(0) };
      routes.set(route, e);
    }
    return e;
  };
  for (const row of counts.rows) entry(row.route).rows.push(row);
  for (const row of hists.rows) entry(row.route)[row.side as 'legacy' | 'candidate'][row.i - 1] += row.n;

  const quantiles = (h: number[]): LatencyQuantiles => ({ p50: histogramQuantile(h, 0.5), p95: histogramQuantile(h, 0.95), p99: histogramQuantile(h, 0.99) });
  const summaries: RouteSummary[] = [...routes.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([route, e]) => {
      const sum = (k: string) => e.rows.reduce((acc, r) => acc + Number(r[k] ?? 0), 0);
      const matches = sum('matches');
      const mismatches = sum('mismatches');
      return {
        route,
        pairs: sum('pairs'),
        matches,
        mismatches,
        notCompared: sum('not_compared'),
        matchRate: ratio(matches, matches + mismatches),
        legacyErrors: sum('legacy_errors'),
        candidateErrors: sum('candidate_errors'),
        latency: { legacy: quantiles(e.legacy), candidate: quantiles(e.candidate) },
        topPaths: paths.rows.filter((p) => p.route === route).map((p) => ({ path: p.path, count: p.count, example: p.example })),
        models: e.rows
          .filter((r) => r.legacy_version !== '' || r.candidate_version !== '' || r.variant !== '')
          .map((r) => {
            const n = (k: string) => Number(r[k] ?? 0);
            return {
              variant: r.variant === '' ? null : String(r.variant),
              legacyVersion: String(r.legacy_version),
              candidateVersion: String(r.candidate_version),
              pairs: n('pairs'),
              labelAgreement: ratio(n('label_agree'), n('label_total')),
              meanConfidenceDelta: ratio(n('cds'), n('label_total')),
              maxConfidenceDelta: n('label_total') > 0 ? n('cdm') : null,
              flaggedAgreement: ratio(n('flagged_agree'), n('flagged_total')),
              driftAgreement: ratio(n('drift_agree'), n('drift_total')),
            };
          }),
        rollbacks: events.filter((ev) => ev.route === route),
      };
    });
  return { since: options.since.toISOString(), generatedAt: (options.now ?? new Date()).toISOString(), routes: summaries };
}
