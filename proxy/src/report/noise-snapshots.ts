/**
 * The noise calibration (compare/noise-calibrator.ts: what differs between two legacy answers to
 * the same request) kept in PostgreSQL, so the file report (`npm run report -- --html`, proxy
 * stopped) shows each differing path's noise rate like the live one does:
 *
 *   proxy_noise_calibration (route, path, samples, differed, updated_at)   one row per noisy path,
 *                                                                          and one with path '' that
 *                                                                          carries the sample count
 *
 *   const snapshots = new NoiseSnapshots({ calibrator, pool: () => db, ready: () => migrated, logger });
 *   snapshots.start(60_000);      // every minute, and once more at close()
 *   await readNoise(pool, 'ml-predict')   // { samples: 40, rates: { request_id: 1, confidence: 0.1 } } | null
 *
 * A route's rows are replaced whole (one transaction), by whichever replica wrote last: each
 * replica's calibrator counts since its own start, so the table holds the latest replica's
 * estimate, not a sum.
 */
import { inTransaction, type Logger, type PgPool } from '@smp/platform';
import type { NoiseCalibrator } from '../compare/noise-calibrator.js';

/** The route's sample count lives in the row with this path (no JSON path is empty). */
const SAMPLES_ROW = '';

export interface RecordedNoise {
  readonly samples: number;
  /** Share of calibration samples in which each generalised path differed. */
  readonly rates: Readonly<Record<string, number>>;
  readonly updatedAt: string;
}

/** Replace `routeId`'s calibration rows with what the calibrator knows now. */
export async function writeNoise(pool: PgPool, calibrator: Pick<NoiseCalibrator, 'report'>, routeId: string): Promise<void> {
  const report = calibrator.report(routeId);
  if (report.samples === 0) return;
  const rows = [{ path: SAMPLES_ROW, differed: 0 }, ...report.paths.map((p) => ({ path: p.path, differed: p.count }))];
  await inTransaction(pool, async (client) => {
    await client.query('DELETE FROM proxy_noise_calibration WHERE route = $1', [routeId]);
    await client.query(
      `INSERT INTO proxy_noise_calibration (route, path, samples, differed)
       SELECT $1, r.path, $2, r.differed FROM jsonb_to_recordset($3::jsonb) AS r(path text, differed bigint)`,
      [routeId, report.samples, JSON.stringify(rows)],
    );
  });
}

/** What the last writer recorded for `routeId`, or null when nothing was. */
export async function readNoise(pool: PgPool, routeId: string): Promise<RecordedNoise | null> {
  const { rows } = await pool.query<{ path: string; samples: string; differed: string; updated_at: Date }>(
    'SELECT path, samples, differed, updated_at FROM proxy_noise_calibration WHERE route = $1',
    [routeId],
  );
  const head = rows.find((r) => r.path === SAMPLES_ROW);
  if (head === undefined || Number(head.samples) === 0) return null;
  const samples = Number(head.samples);
  const rates: Record<string, number> = {};
  for (const r of rows) if (r.path !== SAMPLES_ROW) rates[r.path] = Number(r.differed) / samples;
  return { samples, rates, updatedAt: head.updated_at.toISOString() };
}

export interface NoiseSnapshotsDeps {
  calibrator: Pick<NoiseCalibrator, 'report' | 'routeIds'>;
  /** The serving thread's report pool, once there is one; null: none configured. */
  pool: () => PgPool | null;
  /** The report schema is migrated. */
  ready: () => boolean;
  logger: Pick<Logger, 'warn'>;
}

/** Writes every calibrated route's noise on a timer and at close; a failing write is logged, never thrown. */
export class NoiseSnapshots {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;

  constructor(private readonly deps: NoiseSnapshotsDeps) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.writeAll(), intervalMs);
    this.timer.unref();
  }

  /** Write every route now (one run at a time: a slow database does not stack writes up). */
  writeAll(): Promise<void> {
    if (this.writing !== null) return this.writing;
    const pool = this.deps.pool();
    if (pool === null || !this.deps.ready()) return Promise.resolve();
    this.writing = (async () => {
      for (const routeId of this.deps.calibrator.routeIds()) {
        try {
          await writeNoise(pool, this.deps.calibrator, routeId);
        } catch (err) {
          this.deps.logger.warn('noise calibration not written', { route: routeId, error: (err as Error).message });
        }
      }
    })().finally(() => (this.writing = null));
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.writeAll();
  }
}
