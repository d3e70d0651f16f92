/**
 * Everything the HTML report shows, as one JSON document built from the per-minute rollups (never
 * from millions of raw pairs), plus a few raw mismatching pairs with their bodies as samples:
 *
 *   const data = await buildReportData(pool, { since, now, route: 'ml-predict', live })
 *   // { routes: [{ route, summary, current, series, cdf, paths, samples, labels, events, rollbacks, triggers }] }
 *
 * Latency quantiles per minute and the overlaid CDF come from the log-bucket histograms of
 * `latency-histogram.ts` (each quantile within ±10% of the exact value). The live proxy passes
 * `live` (flags, the judge's status, rollback state, calibration noise); the file report, with
 * the proxy stopped, reads the same from what was recorded (last pair's percents, last judge
 * decision and rollback event).
 */
import type { PgPool } from '@smp/platform';
import { readNoise } from './noise-snapshots.js';
import type { RecordedRequest } from './comparison-recorder.js';
import { storedRequest, summarizeComparisons, type RouteSummary } from './comparison-query.js';
import { HISTOGRAM_BUCKETS, histogramQuantile } from './latency-histogram.js';
import { listRollbackEvents, type StoredRollbackEvent } from './rollback-events.js';
import { listRouteEvents, type StoredRouteEvent } from './route-events.js';
import { migrationTriggers, type MigrationTrigger } from './migration-triggers.js';

/** What the running proxy knows now about a route (absent in the file report). */
export interface LiveRouteState {
  readonly livePercent: number;
  readonly shadowPercent: number;
  /** The judge's view, shown loosely: `{ verdict, reasons?, … }`. */
  readonly judge: { readonly verdict: string | null; readonly [k: string]: unknown } | null;
  readonly rollback: { readonly state: string; readonly at: string; readonly by: string; readonly reason: string } | null;
  /** Share of calibration pairs (legacy vs legacy) where each generalised path differed. */
  readonly noise: Readonly<Record<string, number>> | null;
}

export interface LiveState {
  /** Routes with a candidate, in the table's order. */
  routes(): readonly string[];
  state(route: string): LiveRouteState;
}

export interface ReportSample {
  readonly id: number;
  readonly at: string;
  readonly requestId: string | null;
  readonly method: string | null;
  readonly legacy: { readonly status: number | null; readonly latencyMs: number | null; readonly error: string | null };
  readonly candidate: { readonly status: number | null; readonly latencyMs: number | null; readonly error: string | null };
  readonly diffs: readonly { readonly path: string; readonly generalized: string; readonly kind: string; readonly control?: unknown; readonly candidate?: unknown }[];
  readonly legacyBody: string | null;
  readonly candidateBody: string | null;
  readonly request: RecordedRequest | null;
}

export interface RouteReport {
  readonly route: string;
  readonly summary: RouteSummary | null;
  readonly current: {
    readonly source: 'live' | 'recorded';
    readonly livePercent: number | null;
    readonly shadowPercent: number | null;
    readonly judge: LiveRouteState['judge'];
    readonly rollback: LiveRouteState['rollback'];
  };
  /** Per minute (epoch seconds); null where the minute had no pairs or no latency. */
  readonly series: {
    readonly t: number[];
    readonly pairs: number[];
    readonly mismatchRate: (number | null)[];
    readonly legacyP50: (number | null)[];
    readonly legacyP99: (number | null)[];
    readonly candidateP50: (number | null)[];
    readonly candidateP99: (number | null)[];
  };
  /** Cumulative share of pairs at or below each bucket's upper bound (ms). */
  readonly cdf: { readonly ms: number[]; readonly legacy: (number | null)[]; readonly candidate: (number | null)[] };
  readonly paths: readonly { readonly path: string; readonly count: number; readonly share: number | null; readonly noise: number | null; readonly example: unknown }[];
  readonly samples: readonly ReportSample[];
  readonly labels: readonly { readonly legacy: string; readonly candidate: string; readonly count: number }[];
  readonly events: readonly StoredRouteEvent[];
  readonly rollbacks: readonly StoredRollbackEvent[];
  readonly triggers: readonly MigrationTrigger[];
}

export interface ReportData {
  readonly generatedAt: string;
  readonly since: string;
  readonly route: string | null;
  readonly live: boolean;
  readonly routes: readonly RouteReport[];
}

export interface BuildOptions {
  readonly since: Date;
  readonly now: Date;
  readonly route?: string;
  readonly live?: LiveState;
  /** Raw mismatching pairs shown per route besides one example per differing path (default 10). */
  readonly recentSamples?: number;
  /** Differing paths listed per route (default 100). */
  readonly maxPaths?: number;
  /** Body characters kept per side in a sample (default 20,000). */
  readonly bodyChars?: number;
}

const BASE_MS = 0.05;
const GROWTH = 1.2;
/** Upper bound (ms) of each latency bucket, the CDF's x axis. */
const BUCKET_MS = Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => Number((BASE_MS * GROWTH ** i).toPrecision(3)));

interface MinuteRow {
  route: string;
  t: string;
  pairs: number;
  matches: number;
  mismatches: number;
  lh: number[];
  ch: number[];
}

function addInto(into: number[], from: readonly number[]): void {
  for (let i = 0; i < into.length && i < from.length; i++) into[i] += from[i];
}

/** Per-minute series and the period's CDFs of one route from its minute rows (pure; exported for tests). */
export function seriesOf(rows: readonly MinuteRow[]): { series: RouteReport['series']; cdf: RouteReport['cdf'] } {
  const byMinute = new Map<number, { pairs: number; matches: number; mismatches: number; lh: number[]; ch: number[] }>();
  const totalL = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
  const totalC = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
  for (const r of rows) {
    const t = Number(r.t);
    let m = byMinute.get(t);
    if (!m) byMinute.set(t, (m = { pairs: 0, matches: 0, mismatches: 0, lh: new Array<number>(HISTOGRAM_BUCKETS).fill(0), ch: new Array<number>(HISTOGRAM_BUCKETS).fill(0) }));
    m.pairs += r.pairs;
    m.matches += r.matches;
    m.mismatches += r.mismatches;
    addInto(m.lh, r.lh);
    addInto(m.ch, r.ch);
    addInto(totalL, r.lh);
    addInto(totalC, r.ch);
  }
  const minutes = [...byMinute.keys()].sort((a, b) => a - b);
  const series = { t: minutes, pairs: [] as number[], mismatchRate: [] as (number | null)[], legacyP50: [] as (number | null)[], legacyP99: [] as (number | null)[], candidateP50: [] as (number | null)[], candidateP99: [] as (number | null)[] };
  for (const t of minutes) {
    const m = byMinute.get(t)!;
    const compared = m.matches + m.mismatches;
    series.pairs.push(m.pairs);
    series.mismatchRate.push(compared > 0 ? m.mismatches / compared : null);
    series.legacyP50.push(histogramQuantile(m.lh, 0.5));
    series.legacyP99.push(histogramQuantile(m.lh, 0.99));
    series.candidateP50.push(histogramQuantile(m.ch, 0.5));
    series.candidateP99.push(histogramQuantile(m.ch, 0.99));
  }
  const cumulative = (h: number[]): (number | null)[] => {
    const total = h.reduce((a, b) => a + b, 0);
    let seen = 0;
    return h.map((c) => (total === 0 ? null : (seen += c) / total));
  };
  // Trim the empty tails so the log axis spans the data.
  const first = Math.max(0, Math.min(totalL.findIndex((c) => c > 0), totalC.findIndex((c) => c > 0)) - 1);
  const lastOf = (h: number[]) => h.length - 1 - [...h].reverse().findIndex((c) => c > 0);
  const last = Math.min(HISTOGRAM_BUCKETS - 1, Math.max(lastOf(totalL), lastOf(totalC)) + 1);
  const cl = cumulative(totalL);
  const cc = cumulative(totalC);
  const keep = (xs: (number | null)[]) => (first <= last ? xs.slice(first, last + 1) : []);
  return { series, cdf: { ms: first <= last ? BUCKET_MS.slice(first, last + 1) : [], legacy: keep(cl), candidate: keep(cc) } };
}

const cap = (s: string | null, n: number) => (s === null || s.length <= n ? s : `${s.slice(0, n)}… (${s.length - n} more characters)`);

async function readSamples(pool: PgPool, route: string, since: Date, examples: readonly unknown[], options: BuildOptions): Promise<ReportSample[]> {
  const want = examples
    .map((e) => e as { request_id?: unknown; at?: unknown } | null)
    .filter((e): e is { request_id: string; at: string } => typeof e?.request_id === 'string' && typeof e?.at === 'string');
  const columns = `id, at, request_id, method, legacy_status, candidate_status, legacy_latency_ms, candidate_latency_ms, legacy_error, candidate_error, diffs, legacy_body, candidate_body, request_url, request_content_type, request_body`;
  const { rows } = await pool.query(
    `(SELECT ${columns} FROM proxy_comparisons WHERE route = $1 AND at >= $2 AND outcome = 'mismatch' ORDER BY at DESC LIMIT $3)
     UNION
     (SELECT ${columns} FROM proxy_comparisons c JOIN unnest($4::timestamptz[], $5::text[]) AS w(wanted_at, wanted_id) ON c.route = $1 AND c.at = w.wanted_at AND c.request_id = w.wanted_id
      WHERE c.outcome = 'mismatch')
     ORDER BY at DESC`,
    [route, since, options.recentSamples ?? 10, want.map((e) => e.at), want.map((e) => e.request_id)],
  );
  const chars = options.bodyChars ?? 20_000;
  return rows.map((r) => ({
    id: Number(r.id),
    at: (r.at as Date).toISOString(),
    requestId: r.request_id,
    method: r.method,
    legacy: { status: r.legacy_status, latencyMs: r.legacy_latency_ms, error: r.legacy_error },
    candidate: { status: r.candidate_status, latencyMs: r.candidate_latency_ms, error: r.candidate_error },
    diffs: Array.isArray(r.diffs) ? r.diffs : [],
    legacyBody: cap(r.legacy_body, chars),
    candidateBody: cap(r.candidate_body, chars),
    request: storedRequest({ ...r, request_body: cap(r.request_body, chars) }),
  }));
}

async function recordedState(pool: PgPool, route: string): Promise<RouteReport['current']> {
  const [pair, judge, rollback] = await Promise.all([
    pool.query('SELECT live_percent, shadow_percent FROM proxy_comparisons WHERE route = $1 ORDER BY at DESC LIMIT 1', [route]),
    pool.query(`SELECT state, detail, at FROM proxy_route_events WHERE route = $1 AND kind = 'judge-decision' ORDER BY at DESC, id DESC LIMIT 1`, [route]),
    listRollbackEvents(pool, { route, since: new Date(0), limit: 1 }),
  ]);
  const p = pair.rows[0];
  const j = judge.rows[0];
  const rb = rollback[0];
  return {
    source: 'recorded',
    livePercent: p ? p.live_percent : null,
    shadowPercent: p ? p.shadow_percent : null,
    judge: j ? { verdict: j.state, at: (j.at as Date).toISOString(), ...(j.detail && typeof j.detail === 'object' ? j.detail : {}) } : null,
    rollback: rb ? { state: rb.kind === 'rollback' ? 'rolled-back' : 'resumed', at: rb.at, by: rb.decidedBy, reason: rb.reason } : null,
  };
}

/** PostgreSQL's undefined_table: a store migrated before the table existed. */
const UNDEFINED_TABLE = '42P01';

export async function buildReportData(pool: PgPool, options: BuildOptions): Promise<ReportData> {
  const { since, now } = options;
  const route = options.route ?? null;
  const where = `minute >= date_trunc('minute', $1::timestamptz) AND ($2::text IS NULL OR route = $2)`;
  const [summary, minutes, labels, events, rollbacks, automatic] = await Promise.all([
    summarizeComparisons(pool, { since, now, topPaths: options.maxPaths ?? 100, ...(route ? { route } : {}) }),
    pool.query<MinuteRow>(
      // JSON arrays parse about twice as fast as PostgreSQL int[] text in node-pg (1,440 minutes × 160 buckets).
      `SELECT route, extract(epoch FROM minute)::bigint AS t, pairs, matches, mismatches, array_to_json(legacy_hist) AS lh, array_to_json(candidate_hist) AS ch
       FROM proxy_comparison_rollups WHERE ${where} ORDER BY route, minute`,
      [since, route],
    ),
    pool.query(`SELECT route, legacy_label, candidate_label, sum(count)::int AS n FROM proxy_label_rollups WHERE ${where} GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, [since, route]),
    listRouteEvents(pool, { since, limit: 1_000, ...(route ? { route } : {}) }),
    listRollbackEvents(pool, { since, limit: 500, ...(route ? { route } : {}) }),
    pool.query(
      `SELECT route, count(*)::int AS n FROM proxy_rollback_events
       WHERE kind = 'rollback' AND decided_by NOT IN ('admin', 'unleash') AND at >= $1 AND ($2::text IS NULL OR route = $2) GROUP BY route`,
      [new Date(now.getTime() - 30 * 86_400_000), route],
    ),
  ]);
  const ids = new Set<string>(summary.routes.map((r) => r.route));
  for (const id of options.live?.routes() ?? []) if (route === null || id === route) ids.add(id);
  if (route !== null) ids.add(route);
  const ordered = [...ids].sort((a, b) => a.localeCompare(b));

  const routes = await Promise.all(
    ordered.map(async (id): Promise<RouteReport> => {
      const s = summary.routes.find((r) => r.route === id) ?? null;
      const { series, cdf } = seriesOf(minutes.rows.filter((m) => m.route === id));
      const live = options.live ? options.live.state(id) : null;
      const compared = s ? s.matches + s.mismatches : 0;
      const [samples, current, recordedNoise] = await Promise.all([
        readSamples(pool, id, since, s?.topPaths.map((p) => p.example) ?? [], options),
        // Live: flags and judge from this replica; a rollback state it does not hold (e.g. before a restart) from the store.
        live
          ? recordedState(pool, id).then((rec): RouteReport['current'] => ({ source: 'live', livePercent: live.livePercent, shadowPercent: live.shadowPercent, judge: live.judge, rollback: live.rollback ?? rec.rollback }))
          : recordedState(pool, id),
        // The file report reads the calibration the proxy last wrote (noise-snapshots.ts); a store from before v5 has none.
        live ? null : readNoise(pool, id).catch((err: { code?: string }) => (err.code === UNDEFINED_TABLE ? null : Promise.reject(err))),
      ]);
      const noise = live ? live.noise : (recordedNoise?.rates ?? null);
      return {
        route: id,
        summary: s,
        current,
        series,
        cdf,
        paths: (s?.topPaths ?? []).map((p) => ({ path: p.path, count: p.count, share: compared > 0 ? p.count / compared : null, noise: noise ? (noise[p.path] ?? 0) : null, example: p.example })),
        samples,
        labels: labels.rows.filter((l) => l.route === id).map((l) => ({ legacy: l.legacy_label, candidate: l.candidate_label, count: l.n })),
        events: events.filter((e) => e.route === id),
        rollbacks: rollbacks.filter((e) => e.route === id),
        triggers: migrationTriggers({
          legacyP95Ms: s?.latency.legacy.p95 ?? null,
          peakPairsPerMinute: series.pairs.length ? Math.max(...series.pairs) : null,
          shadowPercent: current.shadowPercent,
          automaticRollbacks30d: automatic.rows.find((r) => r.route === id)?.n ?? 0,
        }),
      };
    }),
  );
  return { generatedAt: now.toISOString(), since: since.toISOString(), route, live: options.live !== undefined, routes };
}
