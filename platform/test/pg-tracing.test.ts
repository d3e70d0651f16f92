/**
 * PostgreSQL query spans (storage/pg-tracing.ts) on a real server: pool.query in promise and
 * callback form, a leased client's queries until release, failures marked as errors, and nothing
 * for a query made outside any span. Spans go to the SDK's in-memory exporter.
 */
import assert from 'node:assert/strict';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createPgPool, type PgPool } from '../src/storage/postgres.js';
import { silentLogger } from '../src/logger.js';
import { openTracing, startSpan, withSpan, type Tracing } from '../src/tracing.js';
import { createTestDatabase, type TestDatabase } from '../src/testkit/index.js';

describe('platform: PostgreSQL query spans', function () {
  this.timeout(20_000);
  let db: TestDatabase;
  let pool: PgPool;
  let tracing: Tracing;
  const exporter = new InMemorySpanExporter();

  before(async function () {
    db = await createTestDatabase('pgtrace');
    tracing = openTracing({ endpoint: undefined, service: 'pg-test', exporter, scheduledDelayMs: 10 });
    pool = createPgPool(db.url, silentLogger('pg-test'), { max: 2, tracer: tracing.tracer });
  });
  after(async function () {
    await pool?.end();
    await tracing?.close();
    await db?.drop();
  });

  /** Run `fn` inside a request span; resolve to the spans exported under it. */
  async function underRequest(fn: () => Promise<unknown>): Promise<{ request: ReadableSpan; children: ReadableSpan[] }> {
    exporter.reset();
    const span = startSpan(tracing.tracer!, 'GET /x', 'server', '');
    await withSpan(span, fn).catch(() => undefined);
    span.end();
    await new Promise((r) => setTimeout(r, 60));
    const spans = exporter.getFinishedSpans();
    const request = spans.find((s) => s.name === 'GET /x')!;
    return { request, children: spans.filter((s) => s.parentSpanContext?.spanId === request.spanContext().spanId) };
  }

  it('pool.query (promise): one "pg SELECT" child of the request span, with the SQL', async function () {
    const { children } = await underRequest(() => pool.query('SELECT 1 AS one'));
    assert.deepEqual(children.map((s) => [s.name, s.attributes['db.system.name'], s.attributes['db.query.text']]), [['pg SELECT', 'postgresql', 'SELECT 1 AS one']]);
  });

  it('pool.query (callback form) and a failing query: the failure is an error span', async function () {
    const { children } = await underRequest(async () => {
      await new Promise<void>((resolve) => pool.query('SELECT 2', () => resolve()));
      await pool.query('SELEC nonsense');
    });
    assert.deepEqual(children.map((s) => [s.name, s.status.code]).sort(), [['pg SELEC', 2], ['pg SELECT', 0]]);
  });

  it('a leased client (transaction): BEGIN, INSERT, COMMIT each a span; after release its query is untraced again', async function () {
    let restored = false;
    const { children } = await underRequest(async () => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('CREATE TEMP TABLE t (v int)');
        await client.query({ text: 'INSERT INTO t VALUES ($1)', values: [1] });
        await client.query('COMMIT');
      } finally {
        client.release();
        restored = client.query === Object.getPrototypeOf(client).query;
      }
    });
    assert.deepEqual(children.map((s) => s.name).sort(), ['pg BEGIN', 'pg COMMIT', 'pg CREATE', 'pg INSERT']);
    assert.ok(restored, 'the released client keeps a traced query');
  });

  it('a query outside any span (probe, migration) makes no span', async function () {
    exporter.reset();
    await pool.query('SELECT 3');
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name), []);
  });
});
