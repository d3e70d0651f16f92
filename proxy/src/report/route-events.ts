/**
 * What happened to a route, as a timeline (`proxy_route_events`): flag changes the proxy observes
 * in Unleash, judge decisions (only when a route's verdict changes), and later every action on a
 * route's flags. The report draws them as markers over the mismatch rate.
 *
 *   const events = new RouteEventWriter({ pool, logger, ready });
 *   events.enqueue({ route, kind: 'flag-change', subject: 'migrate.ml-predict.live', state: 'on 30%', … });
 *   // …written every flushMs in one transaction, never awaited by a request
 *
 * N replicas see the same flag change and may reach the same verdict: an event with a `subject` is
 * written only when its `state` differs from the last one stored for (route, kind, subject) and it
 * is not older than that one (a replica that saw the change late writes nothing). The
 * check and the insert run under a transaction-scoped advisory lock on that key, so the second
 * replica sees the first one's row and writes nothing, whatever the timing. This also records a
 * change made while every proxy was stopped, on the next start.
 */
import type { Logger, PgPool } from '@smp/platform';

export interface RouteEvent {
  readonly at: number;
  readonly route: string;
  /** `flag-change`, `judge-decision`, … (issue 14 adds the flag actions). */
  readonly kind: string;
  /** Who: a replica id, `admin`, `unleash`. */
  readonly actor: string;
  readonly summary: string;
  readonly detail?: unknown;
  /** With `state`: what the event is about (a flag name, `verdict`); deduplicated per subject. */
  readonly subject?: string;
  readonly state?: string;
}

/** One stored event as the report shows it. */
export interface StoredRouteEvent {
  readonly at: string;
  readonly route: string;
  readonly kind: string;
  readonly actor: string;
  readonly summary: string;
  readonly detail: unknown;
}

export interface RouteEventWriterOptions {
  pool: PgPool;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** The schema is migrated; until then events wait in the queue (bounded). */
  ready?: () => boolean;
  flushMs?: number;
  maxQueue?: number;
}

const INSERT = `INSERT INTO proxy_route_events (at, route, kind, actor, summary, detail, subject, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;
// Written unless the newest stored event of the subject has the same state, or is newer than this
// one (another replica already recorded what came after: this observation is stale).
const INSERT_IF_CHANGED = `
  INSERT INTO proxy_route_events (at, route, kind, actor, summary, detail, subject, state)
  SELECT $1, $2, $3, $4, $5, $6, $7, $8
  WHERE NOT EXISTS (
    SELECT 1 FROM (SELECT state, at FROM proxy_route_events WHERE route = $2 AND kind = $3 AND subject = $7 ORDER BY at DESC, id DESC LIMIT 1) AS last
    WHERE last.state IS NOT DISTINCT FROM $8 OR last.at >= $1)`;

export class RouteEventWriter {
  private queue: RouteEvent[] = [];
  private flushing: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private failing = false;
  private dropped = 0;

  constructor(private readonly options: RouteEventWriterOptions) {
    this.timer = setInterval(() => void this.flush(), options.flushMs ?? 1_000);
    this.timer.unref();
  }

  /** Queue one event (O(1)); when the queue is full the oldest is dropped and counted. */
  enqueue(event: RouteEvent): void {
    if (this.queue.length >= (this.options.maxQueue ?? 1_000)) {
      this.queue.shift();
      this.dropped++;
    }
    this.queue.push(event);
  }

  /** Events dropped because the queue was full (the database was away for long). */
  get droppedCount(): number {
    return this.dropped;
  }

  flush(): Promise<void> {
    if (this.queue.length === 0 || (this.options.ready && !this.options.ready())) return this.flushing ?? Promise.resolve();
    this.flushing ??= this.write().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    const batch = this.queue.splice(0, 200);
    const client = await this.options.pool.connect().catch((err: Error) => err);
    if (client instanceof Error) return this.failed(batch, client);
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      for (const e of batch) {
        const row = [new Date(e.at), e.route, e.kind, e.actor, e.summary, e.detail === undefined ? null : JSON.stringify(e.detail), e.subject ?? '', e.state ?? null];
        if (e.state === undefined) await client.query(INSERT, row);
        else {
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`proxy_route_events\u001f${e.route}\u001f${e.kind}\u001f${e.subject ?? ''}`]);
          await client.query(INSERT_IF_CHANGED, row);
        }
      }
      await client.query('COMMIT');
      if (this.failing) this.options.logger.info('route events written again');
      this.failing = false;
    } catch (err) {
      broken = err as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      // A batch the database refused is dropped (a bad row must not block the timeline forever).
      this.dropped += batch.length;
      this.failed([], broken);
    } finally {
      client.release(broken);
    }
  }

  private failed(batch: RouteEvent[], err: Error): void {
    // No connection: put them back in front; a timeline with a hole is worse than a late one.
    this.queue = [...batch, ...this.queue].slice(-(this.options.maxQueue ?? 1_000));
    if (!this.failing) this.options.logger.warn('route events not written (database unavailable?); retrying', { error: err.message });
    this.failing = true;
  }

  /** Stop the timer and try once more to write what waits. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush().catch(() => undefined);
  }
}

export async function listRouteEvents(pool: PgPool, options: { route?: string; since: Date; limit: number }): Promise<StoredRouteEvent[]> {
  const { rows } = await pool.query<{ at: Date; route: string; kind: string; actor: string; summary: string; detail: unknown }>(
    `SELECT at, route, kind, actor, summary, detail FROM proxy_route_events
     WHERE at >= $1 AND ($2::text IS NULL OR route = $2) ORDER BY at DESC, id DESC LIMIT $3`,
    [options.since, options.route ?? null, options.limit],
  );
  return rows.map((r) => ({ at: r.at.toISOString(), route: r.route, kind: r.kind, actor: r.actor, summary: r.summary, detail: r.detail }));
}
