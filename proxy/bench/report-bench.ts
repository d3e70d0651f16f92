/**
 * `npm run bench:report`: how long the HTML report takes to build for 1,000,000 recorded pairs over
 * 24 hours (target < 1 s).
 *
 * Seeds a throw-away database (`DATABASE_URL`'s server, default the test one) in SQL: the raw pairs
 * with generate_series (2% label flips at prediction[0] and 1.4% confidence differences with both
 * bodies kept, log-normal latencies, the candidate ~20% slower), then the rollups derived from
 * those rows exactly as the recorder keeps them (per minute and model-version pair, log-bucket
 * histograms of latency-histogram.ts, per-path counts with the latest example, label pairs), plus
 * rollback and route events. Then builds the page BENCH_RUNS times (data queries + HTML), for the
 * one route and for all routes, and prints each step's median and worst time.
 * Environment: BENCH_PAIRS (1000000), BENCH_RUNS (5), BENCH_KEEP_DB (unset: drop it).
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createTestDatabase } from '@smp/platform/testkit';
import { renderReportPage } from '../src/report/html/report-page.js';
import { buildReportData } from '../src/report/report-data.js';
import { migrateReportSchema } from '../src/report/report-schema.js';

const ROUTE = 'ml-predict';
const n = Number(process.env.BENCH_PAIRS ?? 1_000_000);
const runs = Number(process.env.BENCH_RUNS ?? 5);

// Bucket of latency-histogram.ts (BASE 0.05 ms, GROWTH 1.2, 80 buckets), in SQL.
const bucket = (ms: string) => `least(79, greatest(0, ceil(ln(greatest(${ms}, 0.05) / 0.05) / ln(1.2) - 1e-9)))::int`;

const SEED_RAW = `
  INSERT INTO proxy_comparisons (route, at, mode, request_id, method, live_percent, shadow_percent, legacy_status, candidate_status,
    legacy_latency_ms, candidate_latency_ms, outcome, diff_count, diffs, legacy_version, candidate_version, ml, legacy_body, candidate_body)
  SELECT '${ROUTE}', $1::timestamptz + (i * 86400000.0 / $2) * interval '1 ms', 'shadow', 'req-' || i, 'POST', 0, 100, 200, 200,
    l, l * 1.2 * exp(0.2 * z2),
    CASE WHEN flip OR conf THEN 'mismatch' ELSE 'match' END,
    CASE WHEN flip OR conf THEN 1 ELSE 0 END,
    CASE WHEN flip THEN jsonb_build_array(jsonb_build_object('path', 'prediction[0]', 'generalized', 'prediction[*]', 'kind', 'value', 'control', lab, 'candidate', 1 - lab))
         WHEN conf THEN jsonb_build_array(jsonb_build_object('path', 'confidence', 'generalized', 'confidence', 'kind', 'value', 'control', 0.91, 'candidate', 0.87)) END,
    '2', CASE WHEN i > $2 / 2 THEN '3' ELSE '2' END,
    jsonb_build_object('kind', 'predict', 'labelAgree', NOT flip, 'controlLabel', lab::text, 'candidateLabel', (CASE WHEN flip THEN 1 - lab ELSE lab END)::text,
      'confidenceDelta', CASE WHEN conf THEN 0.04 ELSE 0 END),
    CASE WHEN flip OR conf THEN '{"prediction":[' || lab || '],"confidence":0.91,"model_info":{"model_version":"2"},"request_id":"req-' || i || '"}' END,
    CASE WHEN flip OR conf THEN '{"prediction":[' || (CASE WHEN flip THEN 1 - lab ELSE lab END) || '],"confidence":' || (CASE WHEN conf THEN '0.87' ELSE '0.91' END) || ',"model_info":{"model_version":"3"},"request_id":"req-' || i || '"}' END
  FROM (
    SELECT i, exp(ln(4) + 0.45 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS l,
      sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) AS z2, (i % 3 = 0)::int AS lab, i % 50 = 0 AS flip, i % 70 = 1 AS conf
    FROM generate_series(1, $2) AS i) AS g`;

const SEED_ROLLUPS = `
  WITH raw AS (
    SELECT route, date_trunc('minute', at) AS minute, legacy_version AS lv, candidate_version AS cv, outcome,
      ${bucket('legacy_latency_ms')} AS lb, ${bucket('candidate_latency_ms')} AS cb, ml
    FROM proxy_comparisons),
  lh AS (SELECT route, minute, lv, cv, lb AS b, count(*)::int AS c FROM raw GROUP BY 1, 2, 3, 4, 5),
  ch AS (SELECT route, minute, lv, cv, cb AS b, count(*)::int AS c FROM raw GROUP BY 1, 2, 3, 4, 5),
  counts AS (
    SELECT route, minute, lv, cv, count(*)::int AS pairs, count(*) FILTER (WHERE outcome = 'match')::int AS matches,
      count(*) FILTER (WHERE outcome = 'mismatch')::int AS mismatches, count(*)::int AS lt,
      count(*) FILTER (WHERE (ml->>'labelAgree')::boolean)::int AS la, sum((ml->>'confidenceDelta')::float8) AS cds, max((ml->>'confidenceDelta')::float8) AS cdm
    FROM raw GROUP BY 1, 2, 3, 4),
  grid AS (SELECT k.route, k.minute, k.lv, k.cv, b FROM counts k CROSS JOIN generate_series(0, 79) AS b),
  hists AS (
    SELECT g.route, g.minute, g.lv, g.cv, array_agg(coalesce(lh.c, 0) ORDER BY g.b) AS lhist, array_agg(coalesce(ch.c, 0) ORDER BY g.b) AS chist
    FROM grid g LEFT JOIN lh USING (route, minute, lv, cv, b) LEFT JOIN ch USING (route, minute, lv, cv, b) GROUP BY 1, 2, 3, 4)
  INSERT INTO proxy_comparison_rollups (route, minute, legacy_version, candidate_version, pairs, matches, mismatches, label_total, label_agree,
    confidence_delta_sum, confidence_delta_max, legacy_hist, candidate_hist)
  SELECT k.route, k.minute, k.lv, k.cv, k.pairs, k.matches, k.mismatches, k.lt, k.la, k.cds, k.cdm, h.lhist, h.chist
  FROM counts k JOIN hists h USING (route, minute, lv, cv)`;

const SEED_OTHER = `
  INSERT INTO proxy_diff_path_rollups (route, minute, path, count, example)
  SELECT route, date_trunc('minute', at), d->>'generalized', count(*)::int,
    (array_agg(d || jsonb_build_object('request_id', request_id, 'at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) ORDER BY at DESC))[1]
  FROM proxy_comparisons, jsonb_array_elements(diffs) AS d WHERE outcome = 'mismatch' GROUP BY 1, 2, 3;
  INSERT INTO proxy_label_rollups (route, minute, legacy_label, candidate_label, count)
  SELECT route, date_trunc('minute', at), ml->>'controlLabel', ml->>'candidateLabel', count(*)::int FROM proxy_comparisons GROUP BY 1, 2, 3, 4;
  INSERT INTO proxy_rollback_events (route, kind, at, decided_by, reason, evidence)
  SELECT '${ROUTE}', CASE WHEN h % 2 = 0 THEN 'rollback' ELSE 'resume' END, now() - (h || ' hours')::interval, CASE WHEN h % 2 = 0 THEN 'replica-a' ELSE 'admin' END,
    'bench event', '{"criteria":[{"name":"latency","result":"fail","summary":"ratio 1.6 > 1.5"}]}'::jsonb FROM generate_series(1, 6) AS h;
  INSERT INTO proxy_route_events (at, route, kind, actor, summary, detail, subject, state)
  SELECT now() - (m || ' minutes')::interval, '${ROUTE}', 'judge-decision', 'replica-a', 'judge: pass', '{"verdict":"pass"}', 'verdict', 'pass' FROM generate_series(5, 1400, 60) AS m`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const db = await createTestDatabase('proxy_report_bench');
  const pool = new pg.Pool({ connectionString: db.url, max: 6 });
  try {
    await migrateReportSchema(pool);
    const now = new Date();
    const start = new Date(now.getTime() - 86_400_000);
    let t = performance.now();
    // setseed holds for the session: one client for the seeded random() calls.
    const seeder = await pool.connect();
    try {
      await seeder.query('SELECT setseed(0.42)');
      await seeder.query(SEED_RAW, [start, n]);
    } finally {
      seeder.release();
    }
    const rawS = (performance.now() - t) / 1000;
    t = performance.now();
    await pool.query(SEED_ROLLUPS);
    for (const sql of SEED_OTHER.split(';')) await pool.query(sql);
    await pool.query('ANALYZE');
    const { rows } = await pool.query(`SELECT (SELECT sum(pairs) FROM proxy_comparison_rollups)::int AS pairs, (SELECT count(*) FROM proxy_comparison_rollups)::int AS rollups,
      (SELECT count(*) FROM proxy_diff_path_rollups)::int AS paths, (SELECT count(*) FROM proxy_comparisons WHERE outcome = 'mismatch')::int AS mismatches`);
    console.log(`seeded ${rows[0].pairs.toLocaleString('en-US')} pairs over 24 h (${rows[0].mismatches.toLocaleString('en-US')} mismatches with bodies) in ${rawS.toFixed(1)} s; rollups ${rows[0].rollups} rows, path rollups ${rows[0].paths} rows, derived in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    for (const route of [ROUTE, undefined]) {
      const data: number[] = [];
      const html: number[] = [];
      let bytes = 0;
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const d = await buildReportData(pool, { since: new Date(Date.now() - 86_400_000), now: new Date(), ...(route ? { route } : {}) });
        const t1 = performance.now();
        const page = renderReportPage(d);
        const t2 = performance.now();
        data.push(t1 - t0);
        html.push(t2 - t1);
        bytes = page.html.length;
      }
      const total = data.map((x, i) => x + html[i]);
      console.log(
        `page ${route ? `/report/${route}` : '/report (all routes)'} over 24 h: data ${median(data).toFixed(0)} ms, html ${median(html).toFixed(0)} ms, total median ${median(total).toFixed(0)} ms, worst ${Math.max(...total).toFixed(0)} ms (${runs} runs, first ${total[0].toFixed(0)} ms; page ${Math.round(bytes / 1024)} KiB) — target < 1000 ms: ${Math.max(...total) < 1000 ? 'met' : 'NOT met'}`,
      );
    }
  } finally {
    await pool.end();
    if (!process.env.BENCH_KEEP_DB) await db.drop();
    else console.log(`kept database ${db.url}`);
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exitCode = 1;
});
