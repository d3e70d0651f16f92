/**
 * Retention: raw pairs are kept `rawHours`, per-minute rollups and rollback events `rollupDays`.
 * The purge runs every `intervalMs` and deletes in chunks, so it never holds long locks or competes
 * with the recorder for long:
 *
 *   const r = new RetentionPurger({ pool, rawHours: 72, rollupDays: 30, intervalMs: 600_000, logger });
 *   await r.purge(new Date())   // also what the timer calls
 */
import type { Logger, PgPool } from '@smp/platform';

export interface RetentionOptions {
  pool: PgPool;
  logger: Logger;
  rawHours: number;
  rollupDays: number;
  intervalMs: number;
  chunk?: number;
  ready?: () => boolean;
}

export interface PurgeResult {
  comparisons: number;
  rollups: number;
}

export class RetentionPurger {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PurgeResult> | null = null;

  constructor(private readonly options: RetentionOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.purge(new Date()).catch((err: Error) => this.options.logger.warn('retention purge failed', { error: err.message }));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** Delete what is older than the retention at `now`. One purge at a time. */
  purge(now: Date): Promise<PurgeResult> {
    this.running ??= this.purgeNow(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async purgeNow(now: Date): Promise<PurgeResult> {
    if (this.options.ready && !this.options.ready()) return { comparisons: 0, rollups: 0 };
    const rawCut = new Date(now.getTime() - this.options.rawHours * 3_600_000);
    const rollupCut = new Date(now.getTime() - this.options.rollupDays * 86_400_000);
    const chunk = this.options.chunk ?? 10_000;
    const comparisons = await this.chunked(`DELETE FROM proxy_comparisons WHERE id IN (SELECT id FROM proxy_comparisons WHERE at < $1 LIMIT ${chunk})`, rawCut, chunk);
    let rollups = 0;
    rollups += await this.chunked(
      `DELETE FROM proxy_comparison_rollups WHERE ctid IN (SELECT ctid FROM proxy_comparison_rollups WHERE minute < $1 LIMIT ${chunk})`,
      rollupCut,
      chunk,
    );
    rollups += await this.chunked(`DELETE FROM proxy_diff_path_rollups WHERE ctid IN (SELECT ctid FROM proxy_diff_path_rollups WHERE minute < $1 LIMIT ${chunk})`, rollupCut, chunk);
    rollups += await this.chunked(`DELETE FROM proxy_label_rollups WHERE ctid IN (SELECT ctid FROM proxy_label_rollups WHERE minute < $1 LIMIT ${chunk})`, rollupCut, chunk);
    await this.options.pool.query('DELETE FROM proxy_rollback_events WHERE at < $1', [rollupCut]);
    await this.options.pool.query('DELETE FROM proxy_route_events WHERE at < $1', [rollupCut]);
    if (comparisons + rollups > 0) this.options.logger.info('retention purge', { comparisons, rollups });
    return { comparisons, rollups };
  }

  private async chunked(sql: string, cut: Date, chunk: number): Promise<number> {
    let total = 0;
    for (;;) {
      const { rowCount } = await this.options.pool.query(sql, [cut]);
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < chunk) return total;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }
}
