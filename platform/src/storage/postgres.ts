/**
 * PostgreSQL pools. A pool never crashes its process: idle-client errors (a restarted server, a
 * killed connection) are logged and the pool reconnects on the next query. With a tracer, every
 * query is a client span (pg-tracing.ts).
 */
import pg from 'pg';
import type { Logger } from '../logger.js';
import type { Tracer } from '../tracing.js';
import { tracePgPool } from './pg-tracing.js';

export type PgPool = pg.Pool;

export interface PgPoolOptions {
  max?: number;
  /** Fail a query that cannot get a connection within this time instead of hanging. */
  connectionTimeoutMillis?: number;
  statementTimeoutMillis?: number;
  applicationName?: string;
  /** Null or absent: no spans. */
  tracer?: Tracer | null;
}

export function createPgPool(url: string, logger: Pick<Logger, 'warn'>, options: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 3_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMillis ?? 30_000,
    application_name: options.applicationName,
  });
  pool.on('error', (err) => logger.warn('postgres idle client error', { error: err.message }));
  if (options.tracer) tracePgPool(pool, options.tracer);
  return pool;
}

/** Run `fn` on one client inside BEGIN … COMMIT; any error rolls back and is rethrown. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** `true` when a trivial query answers. */
export async function pingPg(pool: pg.Pool): Promise<void> {
  await pool.query('SELECT 1');
}
