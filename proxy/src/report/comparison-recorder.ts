/**
 * The recorder writes every comparison to PostgreSQL without ever making a client wait:
 *
 *   recorder.enqueue(record)   // O(1): appended to a bounded queue, or dropped and counted
 *   …every flushMs, or as soon as batchSize records wait: ONE multi-row INSERT (unnest of column
 *   arrays) plus the per-minute rollup upserts, in one transaction.
 *
 * When the database is down or slow the queue fills and new records are dropped (counted by
 * reason), batches that fail are dropped (counted), and serving goes on; the first failure of an
 * outage is logged, the recovery too. At most one batch is in flight.
 */
import type { Logger, PgPool } from '@smp/platform';
import type { PoolClient } from 'pg';
import type { ComparisonResult } from '../compare/comparator.js';
import { writeLabelRollups } from './label-rollup.js';
import { emptyHistogram, record as recordLatency } from './latency-histogram.js';

/** One side of a recorded pair. */
export interface RecordedSide {
  readonly status: number | null;
  readonly error: string | null;
  readonly latencyMs: number | null;
}

/** The request of a recorded mismatch, so it can be replayed. */
export interface RecordedRequest {
  /** Path and query as the client sent them, before any rewrite. */
  readonly url: string;
  readonly contentType: string | null;
  /** Capped like the answers' bodies (… when cut); null when there was none. */
  readonly body: string | null;
}

/** What is stored for one compared pair. */
export interface ComparisonRecord {
  readonly routeId: string;
  /** Epoch ms when the pair completed. */
  readonly at: number;
  /** `shadow`: legacy served, candidate mirrored; `live`: the candidate served, legacy mirrored. */
  readonly mode: 'shadow' | 'live';
  readonly requestId: string;
  readonly method: string;
  readonly livePercent: number;
  readonly shadowPercent: number;
  /** The flag variant the candidate answered with (null: none). */
  readonly variant: string | null;
  readonly legacy: RecordedSide;
  readonly candidate: RecordedSide;
  readonly result: ComparisonResult;
  /** Capped bodies, kept for mismatches only. */
  readonly legacyBody: string | null;
  readonly candidateBody: string | null;
  /** The request, kept for mismatches only. */
  readonly request: RecordedRequest | null;
}

/** Why records were not written. */
export type DropReason = 'queue-full' | 'db-error' | 'not-migrated' | 'closed';

export interface RecorderOptions {
  pool: PgPool;
  logger: Pick<Logger, 'info' | 'warn'>;
  maxQueue?: number;
  batchSize?: number;
  flushMs?: number;
  /** Distinct diff paths per route kept per batch in the path rollup (the rest count as `(other)`). */
  maxPathsPerBatch?: number;
  onDrop?: (reason: DropReason, count: number) => void;
  onWritten?: (count: number) => void;
  /** The schema is ready: until then, batches are dropped as `not-migrated`. */
  ready?: () => boolean;
}

const COLUMNS = [
  ['route', 'text'],
  ['at', 'timestamptz'],
  ['mode', 'text'],
  ['request_id', 'text'],
  ['method', 'text'],
  ['live_percent', 'real'],
  ['shadow_percent', 'real'],
  ['legacy_status', 'integer'],
  ['candidate_status', 'integer'],
  ['legacy_error', 'text'],
  ['candidate_error', 'text'],
  ['legacy_latency_ms', 'real'],
  ['candidate_latency_ms', 'real'],
  ['outcome', 'text'],
  ['reason', 'text'],
  ['diff_count', 'integer'],
  ['diffs', 'jsonb'],
  ['legacy_version', 'text'],
  ['candidate_version', 'text'],
  ['ml', 'jsonb'],
  ['legacy_body', 'text'],
  ['candidate_body', 'text'],
  ['variant', 'text'],
  ['request_url', 'text'],
  ['request_content_type', 'text'],
  ['request_body', 'text'],
] as const;

// jsonb columns travel as text[] and are cast per element (unnest cannot take jsonb[] from a text param).
const INSERT_COMPARISONS = `
  INSERT INTO proxy_comparisons (${COLUMNS.map(([c]) => c).join(', ')})
  SELECT ${COLUMNS.map(([c, t]) => (t === 'jsonb' ? `${c}::jsonb` : c)).join(', ')}
  FROM unnest(${COLUMNS.map(([, t], i) => `$${i + 1}::${t === 'jsonb' ? 'text' : t}[]`).join(', ')})
    AS t(${COLUMNS.map(([c]) => c).join(', ')})`;

const UPSERT_ROLLUPS = `
  INSERT INTO proxy_comparison_rollups AS r (route, minute, variant, legacy_version, candidate_version, pairs, matches, mismatches,
    not_compared, legacy_errors, candidate_errors, label_total, label_agree, confidence_delta_sum, confidence_delta_max,
    flagged_total, flagged_agree, drift_total, drift_agree, legacy_hist, candidate_hist)
  SELECT route, minute, variant, lv, cv, pairs, matches, mismatches, nc, le, ce, lt, la, cds, cdm, ft, fa, dt, da,
    ARRAY(SELECT json_array_elements_text(lh::json)::integer), ARRAY(SELECT json_array_elements_text(ch::json)::integer)
  FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::int[], $6::int[], $7::int[], $8::int[], $9::int[],
    $10::int[], $11::int[], $12::int[], $13::float8[], $14::float8[], $15::int[], $16::int[], $17::int[], $18::int[],
    $19::text[], $20::text[], $21::text[])
    AS t(route, minute, lv, cv, pairs, matches, mismatches, nc, le, ce, lt, la, cds, cdm, ft, fa, dt, da, lh, ch, variant)
  ON CONFLICT (route, minute, variant, legacy_version, candidate_version) DO UPDATE SET
    pairs = r.pairs + EXCLUDED.pairs,
    matches = r.matches + EXCLUDED.matches,
    mismatches = r.mismatches + EXCLUDED.mismatches,
    not_compared = r.not_compared + EXCLUDED.not_compared,
    legacy_errors = r.legacy_errors + EXCLUDED.legacy_errors,
    candidate_errors = r.candidate_errors + EXCLUDED.candidate_errors,
    label_total = r.label_total + EXCLUDED.label_total,
    label_agree = r.label_agree + EXCLUDED.label_agree,
    confidence_delta_sum = r.confidence_delta_sum + EXCLUDED.confidence_delta_sum,
    confidence_delta_max = GREATEST(r.confidence_delta_max, EXCLUDED.confidence_delta_max),
    flagged_total = r.flagged_total + EXCLUDED.flagged_total,
    flagged_agree = r.flagged_agree + EXCLUDED.flagged_agree,
    drift_total = r.drift_total + EXCLUDED.drift_total,
    drift_agree = r.drift_agree + EXCLUDED.drift_agree,
    legacy_hist = ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0) FROM unnest(r.legacy_hist, EXCLUDED.legacy_hist) WITH ORDINALITY AS h(a, b, i) ORDER BY i),
    candidate_hist = ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0) FROM unnest(r.candidate_hist, EXCLUDED.candidate_hist) WITH ORDINALITY AS h(a, b, i) ORDER BY i)`;

const UPSERT_PATHS = `
  INSERT INTO proxy_diff_path_rollups AS r (route, minute, path, count, example)
  SELECT route, minute, path, count, example::jsonb
  FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::int[], $5::text[]) AS t(route, minute, path, count, example)
  ON CONFLICT (route, minute, path) DO UPDATE SET count = r.count + EXCLUDED.count, example = EXCLUDED.example`;

interface Rollup {
  route: string;
  minute: number;
  variant: string;
  lv: string;
  cv: string;
  pairs: number;
  matches: number;
  mismatches: number;
  nc: number;
  le: number;
  ce: number;
  lt: number;
  la: number;
  cds: number;
  cdm: number;
  ft: number;
  fa: number;
  dt: number;
  da: number;
  lh: number[];
  ch: number[];
}

const isError = (s: RecordedSide) => s.status === null || s.status >= 500;

/** Aggregate a batch into per-minute rollups (pure; exported for tests). */
export function rollUp(records: readonly ComparisonRecord[], maxPathsPerRoute = 200) {
  const rollups = new Map<string, Rollup>();
  const paths = new Map<string, { route: string; minute: number; path: string; count: number; example: string }>();
  const pathsPerRoute = new Map<string, number>();
  for (const r of records) {
    const minute = Math.floor(r.at / 60_000) * 60_000;
    const lv = r.result.ml?.controlVersion ?? '';
    const cv = r.result.ml?.candidateVersion ?? '';
    const variant = r.variant ?? '';
    const key = `${r.routeId}\u0000${minute}\u0000${variant}\u0000${lv}\u0000${cv}`;
    let u = rollups.get(key);
    if (!u) {
      u = { route: r.routeId, minute, variant, lv, cv, pairs: 0, matches: 0, mismatches: 0, nc: 0, le: 0, ce: 0, lt: 0, la: 0, cds: 0, cdm: 0, ft: 0, fa: 0, dt: 0, da: 0, lh: emptyHistogram(), ch: emptyHistogram() };
      rollups.set(key, u);
    }
    u.pairs++;
    if (r.result.outcome === 'match') u.matches++;
    else if (r.result.outcome === 'mismatch') u.mismatches++;
    else u.nc++;
    if (isError(r.legacy)) u.le++;
    if (isError(r.candidate)) u.ce++;
    if (r.legacy.latencyMs !== null && r.legacy.status !== null) recordLatency(u.lh, r.legacy.latencyMs);
    if (r.candidate.latencyMs !== null && r.candidate.status !== null) recordLatency(u.ch, r.candidate.latencyMs);
    const ml = r.result.ml;
    if (ml) {
      if (ml.labelAgree !== null) {
        u.lt++;
        if (ml.labelAgree) u.la++;
      }
      if (ml.confidenceDelta !== null) {
        u.cds += ml.confidenceDelta;
        u.cdm = Math.max(u.cdm, ml.confidenceDelta);
      }
      if (ml.flaggedAgree !== null) {
        u.ft++;
        if (ml.flaggedAgree) u.fa++;
      }
      if (ml.driftAgree !== null) {
        u.dt++;
        if (ml.driftAgree) u.da++;
      }
    }
    const seen = new Set<string>();
    for (const d of r.result.diffs) {
      if (seen.has(d.generalized)) continue;
      seen.add(d.generalized);
      let pkey = `${r.routeId}\u0000${minute}\u0000${d.generalized}`;
      let path = d.generalized;
      if (!paths.has(pkey)) {
        const n = pathsPerRoute.get(r.routeId) ?? 0;
        if (n >= maxPathsPerRoute) {
          path = '(other)';
          pkey = `${r.routeId}\u0000${minute}\u0000${path}`;
        } else pathsPerRoute.set(r.routeId, n + 1);
      }
      const example = JSON.stringify({ ...d, request_id: r.requestId, at: new Date(r.at).toISOString() });
      const p = paths.get(pkey);
      if (p) {
        p.count++;
        p.example = example;
      } else paths.set(pkey, { route: r.routeId, minute, path, count: 1, example });
    }
  }
  return { rollups: [...rollups.values()], paths: [...paths.values()] };
}

function columnArrays(records: readonly ComparisonRecord[]): unknown[][] {
  const cols: unknown[][] = COLUMNS.map(() => new Array(records.length));
  records.forEach((r, i) => {
    const row = [
      r.routeId,
      new Date(r.at),
      r.mode,
      r.requestId,
      r.method,
      r.livePercent,
      r.shadowPercent,
      r.legacy.status,
      r.candidate.status,
      r.legacy.error,
      r.candidate.error,
      r.legacy.latencyMs,
      r.candidate.latencyMs,
      r.result.outcome,
      r.result.reason,
      r.result.diffCount,
      r.result.diffs.length ? JSON.stringify(r.result.diffs) : null,
      r.result.ml?.controlVersion ?? null,
      r.result.ml?.candidateVersion ?? null,
      r.result.ml ? JSON.stringify(r.result.ml) : null,
      r.legacyBody,
      r.candidateBody,
      r.variant,
      r.request?.url ?? null,
      r.request?.contentType ?? null,
      r.request?.body ?? null,
    ];
    for (let c = 0; c < row.length; c++) cols[c][i] = row[c];
  });
  return cols;
}

export class ComparisonRecorder {
  private queue: ComparisonRecord[] = [];
  private inFlight: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private failing = false;
  private closed = false;
  private readonly maxQueue: number;
  private readonly batchSize: number;

  constructor(private readonly options: RecorderOptions) {
    this.maxQueue = options.maxQueue ?? 20_000;
    this.batchSize = options.batchSize ?? 1_000;
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 250);
    this.timer.unref();
  }

  /** Records waiting to be written. */
  get depth(): number {
    return this.queue.length;
  }

  /** Queue one record; false (and counted) when the queue is full or the recorder closed. Never throws. */
  enqueue(record: ComparisonRecord): boolean {
    if (this.closed) {
      this.options.onDrop?.('closed', 1);
      return false;
    }
    if (this.queue.length >= this.maxQueue) {
      this.options.onDrop?.('queue-full', 1);
      return false;
    }
    this.queue.push(record);
    if (this.queue.length >= this.batchSize && !this.inFlight) setImmediate(() => void this.flush());
    return true;
  }

  /** Write what is queued (one batch at a time); resolves when the queue was drained or a batch failed. */
  flush(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.queue.length === 0) return Promise.resolve();
    // Cleared in a later microtask: a drain that finishes synchronously (schema not migrated: all
    // dropped) must not leave a settled promise behind, which would make every later flush a no-op.
    const running: Promise<void> = this.drain().finally(() => {
      if (this.inFlight === running) this.inFlight = null;
    });
    this.inFlight = running;
    return running;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      if (this.options.ready && !this.options.ready()) {
        this.options.onDrop?.('not-migrated', batch.length);
        continue;
      }
      if (!(await this.write(batch))) break;
    }
  }

  private async write(batch: ComparisonRecord[]): Promise<boolean> {
    const { pool, logger } = this.options;
    const { rollups, paths } = rollUp(batch, this.options.maxPathsPerBatch ?? 200);
    let client: PoolClient | null = null;
    let broken: Error | undefined;
    try {
      client = await pool.connect();
      await client.query('BEGIN');
      await client.query(INSERT_COMPARISONS, columnArrays(batch));
      if (rollups.length) {
        const cols = (['route', 'minute', 'lv', 'cv', 'pairs', 'matches', 'mismatches', 'nc', 'le', 'ce', 'lt', 'la', 'cds', 'cdm', 'ft', 'fa', 'dt', 'da', 'lh', 'ch', 'variant'] as const).map((k) =>
          rollups.map((u) => (k === 'minute' ? new Date(u.minute) : k === 'lh' || k === 'ch' ? JSON.stringify(u[k]) : u[k])),
        );
        await client.query(UPSERT_ROLLUPS, cols);
      }
      if (paths.length) {
        await client.query(UPSERT_PATHS, [paths.map((p) => p.route), paths.map((p) => new Date(p.minute)), paths.map((p) => p.path), paths.map((p) => p.count), paths.map((p) => p.example)]);
      }
      await writeLabelRollups(client, batch);
      await client.query('COMMIT');
      if (this.failing) logger.info('comparison recorder writing again');
      this.failing = false;
      this.options.onWritten?.(batch.length);
      return true;
    } catch (err) {
      broken = err as Error;
      await client?.query('ROLLBACK').catch(() => undefined);
      if (!this.failing) logger.warn('comparison recorder cannot write; dropping batches until the database answers', { error: (err as Error).message });
      this.failing = true;
      this.options.onDrop?.('db-error', batch.length);
      return false;
    } finally {
      // A failed connection is destroyed rather than returned to the pool.
      client?.release(broken);
    }
  }

  /** Stop the timer and write what is queued (bounded by the pool's timeouts). */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    await this.flush();
    this.closed = true;
    if (this.queue.length) {
      this.options.onDrop?.('closed', this.queue.length);
      this.queue = [];
    }
  }
}
