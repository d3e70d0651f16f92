/**
 * Load benchmark of the monolith (`npm run bench:monolith`): starts it on port 0 against a fresh
 * test database and Redis prefix, seeds the history the ML routes read, then drives each scenario
 * with a tight undici loop (keep-alive pool, N concurrent workers) and prints RPS and exact
 * P50/P95/P99 latencies, next to the targets (ingest ≥ 1,000 RPS with P95 < 20 ms; predict P95 < 5 ms).
 *
 *   BENCH_DURATION_S=5 BENCH_CONNECTIONS=16 BENCH_PREDICT_CONNECTIONS=4 npm run bench:monolith
 *
 * check_drift is limited to 10 calls per minute per API key, so its requests rotate over many
 * configured keys (the limiter still runs on every call; refusals would show as errors).
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { silentLogger } from '@smp/platform';
import { createTestDatabase, createTestRedis } from '@smp/platform/testkit';
import pg from 'pg';
import { parseConfig, start } from '../src/index.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 1);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const DRIFT_KEYS = 2_000;
/** predict's latency target is read at this concurrency, where queueing in one process does not dominate. */
const PREDICT_LATENCY_CONNECTIONS = Number(process.env.BENCH_PREDICT_CONNECTIONS ?? 4);

interface Scenario {
  name: string;
  /** Concurrent requests in flight (default BENCH_CONNECTIONS). */
  connections?: number;
  path: string;
  body: (i: number) => unknown;
  headers?: (i: number) => Record<string, string>;
}

interface Outcome {
  name: string;
  connections: number;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

async function drive(pool: Pool, scenario: Scenario, seconds: number, record: boolean): Promise<Outcome> {
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < deadline) {
      const i = counter++;
      const body = JSON.stringify(scenario.body(i));
      const t0 = performance.now();
      try {
        const res = await pool.request({
          path: scenario.path,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(scenario.headers?.(i) ?? {}) },
          body,
        });
        await res.body.dump();
        if (res.statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      if (record) latencies.push(performance.now() - t0);
    }
  };
  const connections = scenario.connections ?? CONNECTIONS;
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    name: scenario.name,
    connections,
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: percentile(sorted, 0.5),
    p95: percentile(sorted, 0.95),
    p99: percentile(sorted, 0.99),
  };
}

const reading = (sensor: string, value: number) => ({ sensor_id: sensor, value, sensor_type: 'temperature', unit: 'C', quality: 1 });

async function main(): Promise<void> {
  const db = await createTestDatabase('mono_bench');
  const redis = createTestRedis();
  const keys = Array.from({ length: DRIFT_KEYS }, (_, i) => `bench-key-${i}`);
  const running = await start({
    config: parseConfig({
      LOG_LEVEL: 'error',
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      API_KEYS: keys.join(','),
      DATABASE_POOL_SIZE: '20',
      ...(process.env.MODEL_REGISTRY_DIR ? { MODEL_REGISTRY_DIR: process.env.MODEL_REGISTRY_DIR } : {}),
    }),
    port: 0,
    logger: silentLogger('legacy-monolith'),
  });
  const sql = new pg.Pool({ connectionString: db.url, max: 1 });
  const pool = new Pool(running.url, { connections: CONNECTIONS, pipelining: 1 });
  try {
    // History for detect_anomaly (12 readings per sensor) and two drift windows of 150 readings.
    const now = Date.now();
    await sql.query(
      `INSERT INTO sensor_readings (sensor_id, sensor_type, value, "timestamp")
       SELECT 'bench-' || s, 'temperature', 25 + random(), now() - (i || ' minutes')::interval
       FROM generate_series(0, 49) s, generate_series(1, 12) i`,
    );
    await sql.query(
      `INSERT INTO sensor_readings (sensor_id, sensor_type, value, "timestamp")
       SELECT 'bench-drift', 'temperature', CASE WHEN i < 150 THEN 28 ELSE 25 END + random(), to_timestamp(($1::float8 - i * 20000) / 1000)
       FROM generate_series(0, 299) i`,
      [now],
    );
    const readings50 = Array.from({ length: 50 }, (_, i) => reading(`bench-${i}`, 25 + (i % 7) / 3));
    const runId = randomUUID().slice(0, 8);
    const baseTs = Date.UTC(2030, 0, 1);
    const scenarios: Scenario[] = [
      {
        name: 'ingest',
        path: '/api/v1/data/ingest',
        body: (i) => ({ ...reading(`ingest-${runId}-${i % 100}`, 20 + (i % 13)), timestamp: new Date(baseTs + i * 1000).toISOString() }),
      },
      {
        name: 'predict',
        path: '/api/v1/ml/predict',
        body: (i) => ({
          model_name: 'ai4i_classifier',
          features: { Air_temperature_K: 298.1, Process_temperature_K: 308.6, Rotational_speed_rpm: 1500 + (i % 100), Torque_Nm: 42.8, Tool_wear_min: 108 },
        }),
      },
      {
        name: 'predict (low concurrency)',
        connections: PREDICT_LATENCY_CONNECTIONS,
        path: '/api/v1/ml/predict',
        body: (i) => ({
          model_name: 'ai4i_classifier',
          features: { Air_temperature_K: 298.1, Process_temperature_K: 308.6, Rotational_speed_rpm: 1500 + (i % 100), Torque_Nm: 42.8, Tool_wear_min: 108 },
        }),
      },
      { name: 'detect_anomaly (1 reading)', path: '/api/v1/ml/detect_anomaly', body: (i) => ({ sensor_readings: [reading(`bench-${i % 50}`, 25.5)] }) },
      { name: 'detect_anomaly (50 readings)', path: '/api/v1/ml/detect_anomaly', body: () => ({ sensor_readings: readings50 }) },
      {
        name: 'check_drift',
        path: '/api/v1/ml/check_drift',
        body: () => ({ sensor_id: 'bench-drift', window_minutes: 50, min_samples: 30 }),
        headers: (i) => ({ 'x-api-key': keys[i % keys.length] }),
      },
    ];
    const outcomes: Outcome[] = [];
    for (const scenario of scenarios) {
      await drive(pool, scenario, WARMUP_S, false);
      outcomes.push(await drive(pool, scenario, DURATION_S, true));
    }
    const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
    console.log(`\nlegacy-monolith benchmark: ${DURATION_S} s per scenario (after ${WARMUP_S} s warm-up), node ${process.version}`);
    console.log('scenario                        conns  requests   errors        RPS   P50 ms   P95 ms   P99 ms');
    for (const o of outcomes) {
      console.log(
        `${o.name.padEnd(30)} ${String(o.connections).padStart(6)} ${String(o.requests).padStart(9)} ${String(o.errors).padStart(8)} ${o.rps.toFixed(1).padStart(10)} ${fmt(o.p50).padStart(8)} ${fmt(o.p95).padStart(8)} ${fmt(o.p99).padStart(8)}`,
      );
    }
    const ingest = outcomes.find((o) => o.name === 'ingest')!;
    const predict = outcomes.find((o) => o.name === 'predict (low concurrency)')!;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log('\ntargets (2-core machine):');
    console.log(`  ingest ≥ 1,000 RPS with P95 < 20 ms: ${ingest.rps.toFixed(0)} RPS, P95 ${fmt(ingest.p95)} ms -> ${verdict(ingest.rps >= 1000 && ingest.p95 < 20)}`);
    console.log(`  predict P95 < 5 ms (at ${predict.connections} connections): P95 ${fmt(predict.p95)} ms -> ${verdict(predict.p95 < 5)}`);
    console.log('  (the original: 24.8 RPS, P95 20 ms on authenticated ingest)');
  } finally {
    await pool.close();
    await sql.end();
    await running.close();
    await redis.cleanup();
    await db.drop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
