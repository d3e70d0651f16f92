import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPgPool, migrate, silentLogger, type PgPool } from '@smp/platform';
import { execFile } from 'node:child_process';
import { createTestDatabase, freePort, type TestDatabase } from '@smp/platform/testkit';
import { compareExchange, type Observation } from '../src/compare/comparator.js';
import { compileCompareRules } from '../src/compare/compare-rules.js';
import { seededRandom } from '../src/analysis/seeded-random.js';
import { listComparisons, summarizeComparisons } from '../src/report/comparison-query.js';
import { ComparisonRecorder, rollUp, type ComparisonRecord, type DropReason } from '../src/report/comparison-recorder.js';
import { bucketOf, emptyHistogram, histogramQuantile, record } from '../src/report/latency-histogram.js';
import { MIGRATIONS_TABLE, migrateReportSchema, REPORT_MIGRATIONS } from '../src/report/report-schema.js';
import { RetentionPurger } from '../src/report/retention.js';
import { formatSummary, parseSince } from '../src/report/summary-format.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/report.js');

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
// The candidate's model version differs on purpose (grouping); it is not what these tests count as a mismatch.
const rules = compileCompareRules('ml-predict', { ignore: ['model_info.model_version'] });
const json = { 'content-type': 'application/json' };

function predictObs(label: number, version: string, latencyMs: number): Observation {
  const body = { prediction: [label], confidence: 0.9, model_info: { model_version: version }, request_id: String(Math.random()), timestamp: 'x' };
  return { status: 200, error: null, latencyMs, headers: json, body: Buffer.from(JSON.stringify(body)), truncated: false };
}

/** n records for route `r`: every 10th with a flipped label; candidate version v3 for the second half. */
function records(n: number, at: number, route = 'r'): ComparisonRecord[] {
  const rnd = seededRandom(5);
  return Array.from({ length: n }, (_, i) => {
    const legacyMs = 2 + rnd() * 8;
    const legacy = predictObs(1, '2', legacyMs);
    const candidate = predictObs(i % 10 === 0 ? 0 : 1, i < n / 2 ? '2' : '3', legacyMs * 2);
    const result = compareExchange(legacy, candidate, rules);
    return {
      routeId: route,
      at: at + i,
      mode: 'shadow',
      requestId: `req-${i}`,
      method: 'POST',
      livePercent: 0,
      shadowPercent: 100,
      variant: i < n / 2 ? null : 'v3',
      legacy: { status: 200, error: null, latencyMs: legacy.latencyMs },
      candidate: { status: 200, error: null, latencyMs: candidate.latencyMs },
      result,
      legacyBody: result.outcome === 'mismatch' ? legacy.body.toString() : null,
      candidateBody: result.outcome === 'mismatch' ? candidate.body.toString() : null,
      request: result.outcome === 'mismatch' ? { url: `/predict?i=${i}`, contentType: 'application/json', body: `{"features":[${i}]}` } : null,
    };
  });
}

describe('latency histograms and summary text', function () {
  it('reads p50 and p99 of 1,000 latencies from 1 to 101 ms within 10% of the exact values; an empty histogram gives null', function () {
    const h = emptyHistogram();
    const values = Array.from({ length: 1_000 }, (_, i) => 1 + i / 10); // 1 .. 100.9 ms
    for (const v of values) record(h, v);
    const exactP50 = values[499];
    const exactP99 = values[989];
    assert.ok(Math.abs(histogramQuantile(h, 0.5)! / exactP50 - 1) < 0.1);
    assert.ok(Math.abs(histogramQuantile(h, 0.99)! / exactP99 - 1) < 0.1);
    assert.equal(histogramQuantile(emptyHistogram(), 0.5), null);
    assert.ok(bucketOf(0.01) === 0 && bucketOf(1e9) === 79);
  });

  const since: Array<[string, number]> = [
    ['90s', 90_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
  ];
  for (const [text, ms] of since) it(`reads --since ${text} as ${ms} ms ago`, () => assert.equal(parseSince(text, 10_000_000_000).getTime(), 10_000_000_000 - ms));
  it('refuses --since yesterday with the accepted forms in the message', function () {
    assert.throws(() => parseSince('yesterday', 0), /expected a duration like 90s, 15m, 1h, 2d or an ISO time/);
  });

  it('aggregates a batch into per-minute rollups per model-version pair and generalised paths', function () {
    const { rollups, paths } = rollUp(records(100, 0));
    assert.deepEqual(
      rollups.map((u) => [u.lv, u.cv, u.pairs, u.mismatches, u.lt, u.la]),
      [
        ['2', '2', 50, 5, 50, 45],
        ['2', '3', 50, 5, 50, 45],
      ],
    );
    assert.deepEqual(
      paths.map((p) => [p.path, p.count]),
      [['prediction[*]', 10]],
    );
  });
});

describe('comparison store (real PostgreSQL)', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let pool: PgPool;
  const drops: Array<[DropReason, number]> = [];

  before(async function () {
    db = await createTestDatabase('proxy_report');
    pool = createPgPool(db.url, silentLogger());
  });
  after(async function () {
    await pool.end();
    await db.drop();
  });

  it('migrates once: a database from before v4 (v1-v3) gets v4 and v5 alone (its rows kept, their request null), nothing the second time', async function () {
    const before = REPORT_MIGRATIONS.filter((m) => m.version < 4);
    assert.deepEqual(await migrate(pool, { table: MIGRATIONS_TABLE, migrations: before }), before.map((m) => m.version));
    await pool.query(`INSERT INTO proxy_comparisons (route, at, mode, outcome) VALUES ('old', now(), 'shadow', 'mismatch')`);
    assert.deepEqual(await migrateReportSchema(pool), [4, 5]);
    assert.deepEqual(await migrateReportSchema(pool), []);
    const [old] = await listComparisons(pool, { route: 'old', since: new Date(0), limit: 1 });
    assert.equal(old.request, null);
    await pool.query(`DELETE FROM proxy_comparisons WHERE route = 'old'`);
  });

  it('writes 2,500 records in 3 batches of at most 1,000 and summarises them from the rollups', async function () {
    const batches: number[] = [];
    const recorder = new ComparisonRecorder({ pool, logger: silentLogger(), batchSize: 1_000, flushMs: 10_000, onWritten: (n) => batches.push(n), onDrop: (r, n) => drops.push([r, n]) });
    const now = Date.now();
    for (const r of records(2_500, now - 60_000)) assert.equal(recorder.enqueue(r), true);
    await recorder.flush();
    await recorder.close();
    assert.deepEqual(batches, [1_000, 1_000, 500]);
    assert.deepEqual(drops, []);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM proxy_comparisons');
    assert.equal(rows[0].n, 2_500);

    const summary = await summarizeComparisons(pool, { route: 'r', since: new Date(now - 3_600_000) });
    const r = summary.routes[0];
    assert.deepEqual([r.pairs, r.matches, r.mismatches, r.notCompared], [2_500, 2_250, 250, 0]);
    assert.equal(r.matchRate, 0.9);
    assert.ok(r.latency.candidate.p50! / r.latency.legacy.p50! > 1.6 && r.latency.candidate.p50! / r.latency.legacy.p50! < 2.5);
    assert.equal(r.topPaths[0].path, 'prediction[*]');
    assert.equal(r.topPaths[0].count, 250);
    assert.deepEqual(
      r.models.map((m) => [m.variant, m.legacyVersion, m.candidateVersion, m.pairs, m.labelAgreement]),
      [
        [null, '2', '2', 1_250, 0.9],
        ['v3', '2', '3', 1_250, 0.9],
      ],
    );
    const text = formatSummary(summary);
    assert.match(text, /^r {3}2,500 pairs {3}match 90\.00% {3}\(250 mismatches, 0 not compared\)$/m);
    assert.match(text, /250 {2}prediction\[\*\] {3}e\.g\. prediction\[0\]: 1 -> 0 \(request req-\d+\)/);

    const listed = await listComparisons(pool, { route: 'r', since: new Date(now - 3_600_000), limit: 5, outcome: 'mismatch' });
    assert.equal(listed.length, 5);
    assert.ok(listed.every((c) => c.outcome === 'mismatch' && c.legacyBody !== null));
    assert.ok(
      listed.every((c) => c.request !== null && c.request.url === `/predict?i=${c.requestId!.slice(4)}` && c.request.contentType === 'application/json' && c.request.body === `{"features":[${c.requestId!.slice(4)}]}`),
      JSON.stringify(listed.map((c) => c.request)),
    );
  });

  it('the report CLI prints the summary; exits 2 on a bad --since and without a database; finds the local stack\'s', async function () {
    const ok = await cli(['--route', 'r', '--since', '1h'], { DATABASE_URL: db.url });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^Comparisons since /);
    assert.match(ok.stdout, /^r {3}2,500 pairs {3}match 90\.00%/m);
    assert.match(ok.stdout, /latency {4}legacy p50 [\d.]+ ms {2}p95 [\d.]+ ms {2}p99 [\d.]+ ms \| candidate p50/);
    assert.match(ok.stdout, /models {5}variant v3: legacy 2 vs candidate 3 \(1,250 pairs\): labels agree 90\.00%/);
    const asJson = await cli(['--route', 'r', '--json'], { DATABASE_URL: db.url });
    assert.equal(JSON.parse(asJson.stdout).routes[0].pairs, 2_500);
    const badSince = await cli(['--since', 'yesterday'], { DATABASE_URL: db.url });
    assert.equal(badSince.code, 2);
    assert.match(badSince.stderr, /since: expected a duration/);
    const noStack = await mkdtemp(path.join(tmpdir(), 'report-stack-'));
    const none = await cli([], { STACK_DIR: noStack });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /DATABASE_URL is not set and no local stack runs/);
    // Beside a running local stack, the CLI finds its database in <STACK_DIR>/database.json.
    await writeFile(path.join(noStack, 'database.json'), JSON.stringify({ url: db.url }));
    const fromStack = await cli(['--route', 'r'], { STACK_DIR: noStack });
    assert.equal(fromStack.code, 0, fromStack.stderr);
    assert.match(fromStack.stdout, /^r {3}2,500 pairs/m);
    await rm(noStack, { recursive: true, force: true });
  });

  it('drops (and counts) records past a queue of 100 without throwing', async function () {
    const dropped: Array<[DropReason, number]> = [];
    const recorder = new ComparisonRecorder({ pool, logger: silentLogger(), maxQueue: 100, batchSize: 1_000, flushMs: 10_000, onDrop: (r, n) => dropped.push([r, n]) });
    const results = records(150, Date.now(), 'q').map((r) => recorder.enqueue(r));
    assert.equal(results.filter(Boolean).length, 100);
    assert.equal(dropped.filter(([r]) => r === 'queue-full').length, 50);
    await recorder.close();
  });

  it('before the schema is migrated, each flush drops what is queued (not-migrated); once migrated, the next flush writes', async function () {
    await migrateReportSchema(pool);
    const dropped: Array<[DropReason, number]> = [];
    const written: number[] = [];
    let ready = false;
    const recorder = new ComparisonRecorder({ pool, logger: silentLogger(), flushMs: 10_000, ready: () => ready, onDrop: (r, n) => dropped.push([r, n]), onWritten: (n) => written.push(n) });
    for (const r of records(3, Date.now(), 'nm1')) recorder.enqueue(r);
    await recorder.flush();
    for (const r of records(2, Date.now(), 'nm2')) recorder.enqueue(r);
    await recorder.flush();
    assert.deepEqual(dropped, [['not-migrated', 3], ['not-migrated', 2]], 'a flush that dropped everything at once leaves no stale flush behind');
    ready = true;
    for (const r of records(4, Date.now(), 'nm3')) recorder.enqueue(r);
    await recorder.flush();
    assert.deepEqual(written, [4]);
    await recorder.close();
  });

  it('with the database down, a batch is dropped and counted as db-error and serving code never sees an error', async function () {
    const dead = createPgPool(`postgres://postgres@127.0.0.1:${await freePort()}/none`, silentLogger(), { connectionTimeoutMillis: 500 });
    const dropped: Array<[DropReason, number]> = [];
    const recorder = new ComparisonRecorder({ pool: dead, logger: silentLogger(), flushMs: 10_000, onDrop: (r, n) => dropped.push([r, n]) });
    for (const r of records(10, Date.now())) recorder.enqueue(r);
    await recorder.flush();
    assert.deepEqual(dropped, [['db-error', 10]]);
    await recorder.close();
    await dead.end();
  });

  it('retention removes raw pairs older than 72 h and rollups older than 30 days, keeping the rest', async function () {
    const now = Date.now();
    const recorder = new ComparisonRecorder({ pool, logger: silentLogger(), flushMs: 10_000 });
    for (const r of records(10, now - 100 * 3_600_000, 'old')) recorder.enqueue(r);
    for (const r of records(10, now - 40 * 86_400_000, 'ancient')) recorder.enqueue(r);
    await recorder.close();
    const purger = new RetentionPurger({ pool, logger: silentLogger(), rawHours: 72, rollupDays: 30, intervalMs: 60_000, chunk: 3 });
    const result = await purger.purge(new Date(now));
    await purger.close();
    assert.equal(result.comparisons, 20);
    const raw = await pool.query("SELECT route, count(*)::int AS n FROM proxy_comparisons WHERE route IN ('old','ancient','r') GROUP BY route ORDER BY route");
    assert.deepEqual(raw.rows, [{ route: 'r', n: 2_500 }]);
    const rollups = await pool.query("SELECT DISTINCT route FROM proxy_comparison_rollups WHERE route IN ('old','ancient') ORDER BY route");
    assert.deepEqual(
      rollups.rows.map((x) => x.route),
      ['old'],
    );
  });
});
