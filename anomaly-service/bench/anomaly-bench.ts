/**
 * Load benchmark of the anomaly service (`npm run bench:anomaly`): RPS and exact P50/P95/P99 for
 *   detect_anomaly with 1 reading, detect_anomaly with 50 readings, check_drift with 300 readings per window,
 * sent directly to the service and then through the edge proxy (its `ml-anomaly` / `ml-drift` live
 * flags at 100%, the monolith behind it as the legacy upstream).
 *
 *   BENCH_DURATION_S=5 BENCH_WARMUP_S=1 BENCH_CONNECTIONS=16 BENCH_PROXY=true npm run bench:anomaly
 *
 * A fresh test database gets the monolith's schema (its own migrations) and 20 sensors with 660
 * readings 12 s apart, so a 60-minute drift window holds 300 readings (min_samples 60 -> 5 × 60 =
 * 300 fetched per window). check_drift keeps its real limit of 10 per minute per key: requests
 * rotate over 2,000 configured API keys (the limiter still runs on every call; a refusal would
 * show as an error).
 */
import { randomUUID } from 'node:crypto';
import { migrate, silentLogger, type RunningService } from '@smp/platform';
import { createTestDatabase, createTestRedis } from '@smp/platform/testkit';
import * as monolith from '@smp/legacy-monolith';
import pg from 'pg';
import { parseConfig, start } from '../src/index.js';
import { closedLoop, type ClosedLoopResult, type LoopRequest } from './closed-loop.js';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 1);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const THROUGH_PROXY = (process.env.BENCH_PROXY ?? 'true') !== 'false';
const SENSORS = 20;
const READINGS_PER_SENSOR = 660;
const READING_INTERVAL_S = 12;
const DRIFT_MIN_SAMPLES = 60;
const KEYS = Array.from({ length: 2_000 }, (_, i) => `bench-${i}-${randomUUID().slice(0, 8)}`);

interface Scenario {
  name: string;
  request: (i: number) => LoopRequest;
}

const sensor = (i: number) => `bench-s${i % SENSORS}`;
const reading = (i: number, k: number) => ({
  sensor_id: sensor(i + k),
  value: 20 + ((i * 7 + k * 13) % 60),
  sensor_type: 'temperature',
  unit: 'C',
  quality: 1,
});

let driftCalls = 0;

const SCENARIOS: Scenario[] = [
  {
    name: 'detect_anomaly, 1 reading',
    request: (i) => ({ path: '/api/v1/ml/detect_anomaly', body: JSON.stringify({ sensor_readings: [reading(i, 0)] }), headers: { 'x-api-key': KEYS[0] } }),
  },
  {
    name: 'detect_anomaly, 50 readings',
    request: (i) => ({
      path: '/api/v1/ml/detect_anomaly',
      body: JSON.stringify({ sensor_readings: Array.from({ length: 50 }, (_, k) => reading(i, k)) }),
      headers: { 'x-api-key': KEYS[0] },
    }),
  },
  {
    name: 'check_drift, 300 readings per window',
    request: (i) => ({
      path: '/api/v1/ml/check_drift',
      body: JSON.stringify({ sensor_id: sensor(i), window_minutes: 60, min_samples: DRIFT_MIN_SAMPLES }),
      // One ring over both runs: a key gets a 10th call only after 20,000 drift calls.
      headers: { 'x-api-key': KEYS[driftCalls++ % KEYS.length] },
    }),
  },
];

async function seed(url: string): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    await migrate(pool, { table: monolith.MIGRATIONS_TABLE, migrations: monolith.migrations });
    const end = Date.now();
    for (let s = 0; s < SENSORS; s++) {
      const values: number[] = [];
      const times: string[] = [];
      for (let j = 0; j < READINGS_PER_SENSOR; j++) {
        // A level shift in the newest hour, so the KS test has something to find on some sensors.
        const shift = s % 2 === 0 && j >= READINGS_PER_SENSOR / 2 ? 3 : 0;
        values.push(25 + shift + Math.sin(j / 9) * 2 + ((j * 37 + s * 11) % 17) / 17);
        times.push(new Date(end - (READINGS_PER_SENSOR - 1 - j) * READING_INTERVAL_S * 1000).toISOString());
      }
      await pool.query(
        `INSERT INTO sensor_readings (sensor_id, sensor_type, value, unit, "timestamp", quality)
         SELECT $1, 'temperature', v, 'C', t, 1.0 FROM unnest($2::float8[], $3::timestamptz[]) AS u(v, t)`,
        [sensor(s), values, times],
      );
    }
  } finally {
    await pool.end();
  }
}

/** The parts of `@smp/proxy` this bench uses (imported at run time, so this workspace builds without the proxy's). */
interface ProxyModule {
  start(options: Record<string, unknown>): Promise<RunningService>;
  parseConfig(env: Record<string, string>): unknown;
  MemoryRepository: new (features: unknown) => unknown;
}

function liveFlags(routes: string[]) {
  return {
    version: 2,
    features: routes.map((route) => ({
      name: `migrate.${route}.live`,
      enabled: true,
      strategies: [{ name: 'flexibleRollout', parameters: { rollout: '100', stickiness: 'default', groupId: `migrate.${route}.live` }, constraints: [] }],
    })),
  };
}

/** How many ML calls the service answered so far (its own /metrics), to show the proxy really sent them here. */
async function servedByService(serviceUrl: string): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('http_requests_total{') && /handler="\/api\/v1\/ml\/(detect_anomaly|check_drift)"/.test(line)) total += Number(line.split(' ').pop());
  }
  return total;
}

function row(target: string, name: string, r: ClosedLoopResult): string {
  const f = (n: number) => n.toFixed(2).padStart(8);
  return `${target.padEnd(7)} ${name.padEnd(38)} ${r.rps.toFixed(0).padStart(6)} ${f(r.p50)} ${f(r.p95)} ${f(r.p99)} ${String(r.requests).padStart(8)} ${String(r.errors).padStart(6)}`;
}

async function main(): Promise<void> {
  const db = await createTestDatabase('anomaly_bench');
  const redis = createTestRedis();
  const opened: RunningService[] = [];
  try {
    await seed(db.url);
    const env = {
      LOG_LEVEL: 'error',
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      API_KEYS: KEYS.join(','),
      DATABASE_POOL_SIZE: String(Math.max(10, CONNECTIONS)),
    };
    const service = await start({ config: parseConfig(env), port: 0, logger: silentLogger('anomaly-service') });
    opened.push(service);
    const targets: Array<[string, string]> = [['direct', service.url]];

    let proxyNote = '';
    if (THROUGH_PROXY) {
      try {
        const proxy = (await import(String('@smp/proxy'))) as ProxyModule;
        const legacy = await monolith.start({ config: monolith.parseConfig(env), port: 0, logger: silentLogger('legacy-monolith') });
        opened.push(legacy);
        const edge = await proxy.start({
          config: proxy.parseConfig({ LOG_LEVEL: 'error', ADMIN_PORT: 'off', PROXY_ROUTES_WATCH: 'false', LEGACY_URL: legacy.url, ANOMALY_URL: service.url }),
          port: 0,
          logger: silentLogger('proxy'),
          flagRepository: new proxy.MemoryRepository(liveFlags(['ml-anomaly', 'ml-drift'])),
        });
        opened.push(edge);
        targets.push(['proxy', edge.url]);
      } catch (err) {
        proxyNote = `through the proxy: not measured (${(err as Error).message})`;
      }
    }

    console.log(`anomaly-service bench: ${CONNECTIONS} connections, ${WARMUP_S}s warm-up + ${DURATION_S}s per scenario, ${SENSORS} sensors × ${READINGS_PER_SENSOR} readings`);
    console.log(`${'target'.padEnd(7)} ${'scenario'.padEnd(38)} ${'rps'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'requests'.padStart(8)} ${'errors'.padStart(6)} ${'served'.padStart(9)}`);
    console.log('(served: calls the anomaly service itself answered during the run, warm-up included)');
    for (const [target, origin] of targets) {
      for (const scenario of SCENARIOS) {
        const before = await servedByService(service.url);
        const result = await closedLoop({ origin, connections: CONNECTIONS, seconds: DURATION_S, warmupSeconds: WARMUP_S, request: scenario.request });
        const served = (await servedByService(service.url)) - before;
        console.log(`${row(target, scenario.name, result)} ${String(served).padStart(9)}`);
        if (result.firstError) console.log(`        first error: ${result.firstError}`);
      }
    }
    if (proxyNote) console.log(proxyNote);
  } finally {
    for (const s of opened.reverse()) await s.close().catch(() => undefined);
    await redis.cleanup().catch(() => undefined);
    await db.drop().catch(() => undefined);
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exitCode = 1;
});
