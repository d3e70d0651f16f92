/**
 * Client spans for PostgreSQL queries (OpenTelemetry database conventions: `db.system.name`,
 * `db.query.text`), children of the span active when the query is issued (the request's); a query
 * issued outside any span (health probe, migration, background job) is not traced.
 * Both ways of querying are covered: `pool.query(...)` and the queries of a client leased with
 * `await pool.connect()` (transactions), whose `query` is traced until it is released.
 */
import type pg from 'pg';
import { context, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { startSpan } from '../tracing.js';

type Query = (...args: unknown[]) => unknown;

function queryText(first: unknown): string {
  if (typeof first === 'string') return first;
  const text = (first as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : '';
}

function finish(span: Span, err: unknown): void {
  if (err) span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
  span.end();
}

/** `query` with a span around each call, in callback or promise form. */
function traced(tracer: Tracer, query: Query): Query {
  return function (this: unknown, ...args: unknown[]) {
    // Only queries made for a traced operation: a probe's or a background job's would each be a
    // one-span trace of its own.
    if (trace.getSpan(context.active()) === undefined) return query.apply(this, args);
    const text = queryText(args[0]);
    // The first word names the operation (`SELECT`, `INSERT`…): a bounded span name.
    const span = startSpan(tracer, `pg ${text.trimStart().split(/\s/, 1)[0]?.toUpperCase() || 'query'}`, 'client', undefined, {
      'db.system.name': 'postgresql',
      'db.query.text': text.length > 2048 ? text.slice(0, 2048) : text,
    });
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === 'function') {
      args[last] = (err: unknown, result: unknown) => {
        finish(span, err);
        (callback as (e: unknown, r: unknown) => void)(err, result);
      };
      return query.apply(this, args);
    }
    let pending: unknown;
    try {
      pending = query.apply(this, args);
    } catch (err) {
      finish(span, err);
      throw err;
    }
    if (pending instanceof Promise) {
      return pending.then(
        (result: unknown) => {
          finish(span, null);
          return result;
        },
        (err: unknown) => {
          finish(span, err);
          throw err;
        },
      );
    }
    // A Submittable (cursor, stream): its end is not ours to see.
    span.end();
    return pending;
  };
}

export function tracePgPool(pool: pg.Pool, tracer: Tracer): void {
  (pool as unknown as { query: Query }).query = traced(tracer, pool.query.bind(pool) as Query);
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { connect: Query }).connect = (...args: unknown[]) => {
    // Callback form: pg-pool's own path for pool.query, already traced above.
    if (args.length > 0) return connect(...args);
    return (connect() as Promise<pg.PoolClient>).then((client) => {
      const own = client.query;
      const release = client.release;
      (client as unknown as { query: Query }).query = traced(tracer, own.bind(client) as Query);
      client.release = (err?: Error | boolean) => {
        client.query = own;
        client.release = release;
        return release.call(client, err);
      };
      return client;
    });
  };
}
