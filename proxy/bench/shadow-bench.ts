/**
 * `node proxy/dist/bench/shadow-bench.js`: the price of shadowing, in one run on one upstream.
 *
 *   proxy          this proxy, every flag off (pass-through): the baseline for client p99
 *   proxy-shadow   this proxy with `migrate.bench.shadow` at 100%: every request is also mirrored
 *                  to the candidate, compared (ml-predict-style rules) and recorded in PostgreSQL (a
 *                  throw-away database), the judge running. Legacy and candidate are two processes
 *                  of the same server (A/A), as in production where the candidate is its own service
 *                  (one shared process would make clients queue behind mirrors in the upstream)
 *   nginx-mirror   nginx with `mirror` to the candidate (the anchor: 10k RPS measured here)
 *
 * Prints RPS, p50/p99 at saturation (wrk, closed loop) and the issue's targets: proxy-shadow ≥ 1.6 ×
 * nginx-mirror, recorded pairs per second (≥ 5,000, counted in the database), and client p99 ≤ 1.3 ×
 * pass-through — compared at the same fixed offered rate (open loop, BENCH_FIXED_RATE), because at
 * saturation a closed loop's p99 only restates the lower throughput.
 * Environment: BENCH_DURATION_S (10), BENCH_CONNECTIONS (64), BENCH_FIXED_RATE (2000),
 * BENCH_NGINX_WORKERS (1).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Pool } from 'undici';
import { createTestDatabase, freePort } from '@smp/platform/testkit';
import { generateLoad, hasWrk, type LoadResult } from './load-generator.js';
import { startChild, startNginx, startProxy, type RunningTarget } from './proxy-bench.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PATH = '/api/v1/ml/predict';
const BODY = JSON.stringify({ model_name: 'ai4i_classifier', features: { Air_temperature_K: 300.1, Process_temperature_K: 310.2, Rotational_speed_rpm: 1500, Torque_Nm: 40.5, Tool_wear_min: 108 } });
const ADMIN_TOKEN = 'bench-admin-token-0123456789';

/** The bench proxy with 100% shadow, comparison rules for predict, recording to `databaseUrl` and an admin port. */
async function startShadowProxy(upstreamUrl: string, candidateUrl: string, workDir: string, databaseUrl: string): Promise<RunningTarget & { adminUrl: string }> {
  const adminPort = await freePort();
  const flags = {
    version: 2,
    features: [{ name: 'migrate.bench.shadow', enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: '100', stickiness: 'default', groupId: 'migrate.bench.shadow' }, constraints: [] }] }],
  };
  const proxy = await startProxy(upstreamUrl, workDir, flags, {
    name: 'shadow',
    route: { compare: { ml: 'predict', ignore: ['request_id', 'timestamp'] } },
    // The judge acts (an A/A candidate must never be rolled back, saturated or not: the judge line
    // it prints says so); pairs timed through the proxy's own lag are counted as unscored.
    env: { ADMIN_PORT: String(adminPort), ADMIN_TOKEN, DATABASE_URL: databaseUrl, REDIS_URL: '', PREDICTION_URL: candidateUrl },
  });
  return { ...proxy, adminUrl: `http://127.0.0.1:${adminPort}` };
}

/** nginx with `mirror`: every request also sent to the candidate, marked as a shadow request. */
function startNginxMirror(upstreamUrl: string, candidateUrl: string, workDir: string): Promise<RunningTarget | null> {
  return startNginx(upstreamUrl, workDir, {
    name: 'nginx-mirror',
    upstreams: `upstream candidate { server ${new URL(candidateUrl).host}; keepalive 128; }`,
    locations: `location / {
      mirror /mirror; mirror_request_body on;
      proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection "";
    }
    location = /mirror {
      internal;
      proxy_pass http://candidate$request_uri; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header X-Shadow-Request 1;
    }`,
  });
}

/**
 * Open-loop load at a fixed rate (what a client population does): requests are sent on schedule
 * whether or not earlier ones returned, so the p99 shows the delay the proxy adds at that load,
 * not the queueing of a saturated closed loop.
 */
async function fixedRate(url: string, rate: number, seconds: number): Promise<{ sent: number; p50Ms: number; p99Ms: number; errors: number }> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 128, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  const tickMs = 1;
  // Owed requests follow the clock (timers fire late, never early), so bursts stay small.
  const started = performance.now();
  let sentSoFar = 0;
  const deadline = Date.now() + seconds * 1_000;
  while (Date.now() < deadline) {
    const owed = Math.floor(((performance.now() - started) * rate) / 1_000) - sentSoFar;
    for (let i = 0; i < owed; i++, sentSoFar++) {
      const t0 = process.hrtime.bigint();
      const p = pool
        .request({ path: target.pathname, method: 'POST', body: BODY, headers: { 'content-type': 'application/json', 'x-api-key': 'bench-client' } })
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode >= 300) errors++;
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        })
        .catch(() => void errors++)
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all([...inFlight]);
  await pool.close();
  latencies.sort((a, b) => a - b);
  const q = (x: number) => latencies[Math.min(latencies.length - 1, Math.floor(x * latencies.length))] ?? Number.NaN;
  return { sent: latencies.length + errors, p50Ms: q(0.5), p99Ms: q(0.99), errors };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

async function countPairs(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM proxy_comparisons');
    return rows[0].n;
  } catch {
    return 0;
  } finally {
    await client.end();
  }
}

/** Wait (at most 30 s) until the proxy's comparison queue is empty. */
async function drained(adminUrl: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const res = await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const line = (await res.text()).split('\n').find((l) => l.startsWith('proxy_comparison_queue_depth'));
    if (line !== undefined && Number(line.split(' ').at(-1)) === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The judge's state of the bench route (an A/A run must never be rolled back). */
async function judgeState(adminUrl: string): Promise<string> {
  const res = await fetch(`${adminUrl}/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const status = (await res.json()) as { judge?: { routes?: { route: string; status: string; lastRollback: { reason: string } | null }[] } };
  return (status.judge?.routes ?? []).map((r) => `judge ${r.route}: ${r.status}${r.lastRollback ? `; ROLLED BACK: ${r.lastRollback.reason}` : ', never rolled back'}`).join('\n');
}

async function shadowMetrics(adminUrl: string): Promise<string> {
  const res = await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => /^proxy_(shadow_skipped_total|comparisons_total|comparison_records_dropped_total|comparison_records_written_total|judge_unscored_pairs_total)/.test(l))
    .join('\n');
}

async function main(): Promise<void> {
  const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
  const useWrk = await hasWrk();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'shadow-bench-'));
  const upstreamPort = await freePort();
  const upstream = await startChild(process.execPath, [path.join(HERE, 'bench-upstream.js'), String(upstreamPort)]);
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const candidatePort = await freePort();
  const candidate = await startChild(process.execPath, [path.join(HERE, 'bench-upstream.js'), String(candidatePort)]);
  const candidateUrl = `http://127.0.0.1:${candidatePort}`;
  const db = await createTestDatabase('proxy_shadow_bench');
  const results = new Map<string, LoadResult>();
  const rate = Number(process.env.BENCH_FIXED_RATE ?? 2_000);
  const fixed = new Map<string, Awaited<ReturnType<typeof fixedRate>>>();
  let pairsPerSecond = NaN;
  process.stdout.write(`shadow benchmark: POST ${PATH}, ${connections} connections, ${durationS} s per scenario, load by ${useWrk ? 'wrk' : 'autocannon'}, ${os.cpus().length} CPUs\n`);
  const load = (url: string, d: number) =>
    generateLoad({ url, method: 'POST', body: BODY, workDir, connections, durationS: d, headers: { 'content-type': 'application/json', 'x-api-key': 'bench-client' } }, useWrk);
  const report = (name: string, r: LoadResult) =>
    process.stdout.write(`${name.padEnd(13)} ${fmt(r.rps).padStart(8)} req/s   p50 ${fmt(r.p50Ms, 2).padStart(6)} ms   p99 ${fmt(r.p99Ms, 2).padStart(6)} ms   errors ${r.errors}\n`);
  try {
    const plain = await startProxy(upstreamUrl, workDir, { version: 2, features: [] }, { name: 'pass-through' });
    try {
      await load(plain.url, 2);
      const r = await load(plain.url, durationS);
      results.set('proxy', r);
      report('proxy', r);
      fixed.set('proxy', await fixedRate(plain.url, rate, durationS));
    } finally {
      await plain.stop();
    }

    const shadow = await startShadowProxy(upstreamUrl, candidateUrl, workDir, db.url);
    try {
      await load(shadow.url, 2);
      await new Promise((r) => setTimeout(r, 1_000)); // let the recorder drain the warm-up
      const before = await countPairs(db.url);
      const started = Date.now();
      const r = await load(shadow.url, durationS);
      const elapsedS = (Date.now() - started) / 1_000;
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // the recorder's last batches
      pairsPerSecond = ((await countPairs(db.url)) - before) / elapsedS;
      results.set('proxy-shadow', r);
      report('proxy-shadow', r);
      // The fixed-rate run starts once the saturated run's records are written, not during that backlog.
      await drained(shadow.adminUrl);
      fixed.set('proxy-shadow', await fixedRate(shadow.url, rate, durationS));
      process.stdout.write(`${(await shadowMetrics(shadow.adminUrl)).replace(/^/gm, '    ')}\n`);
      process.stdout.write(`${(await judgeState(shadow.adminUrl)).replace(/^/gm, '    ')}\n`);
    } finally {
      await shadow.stop();
    }

    const nginx = await startNginxMirror(upstreamUrl, candidateUrl, workDir);
    if (nginx === null) process.stdout.write('nginx-mirror  skipped (nginx not installed)\n');
    else {
      try {
        await load(nginx.url, 2);
        const r = await load(nginx.url, durationS);
        results.set('nginx-mirror', r);
        report('nginx-mirror', r);
      } finally {
        await nginx.stop();
      }
    }
  } finally {
    await upstream.stop();
    await candidate.stop();
    await db.drop().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  }
  const shadow = results.get('proxy-shadow');
  const plain = results.get('proxy');
  const nginx = results.get('nginx-mirror');
  if (shadow && nginx) {
    const ratio = shadow.rps / nginx.rps;
    process.stdout.write(`proxy-shadow / nginx-mirror RPS: ${ratio.toFixed(2)} (target ≥ 1.6) ${ratio >= 1.6 ? 'met' : 'NOT met'}\n`);
    // Shadowing can only add work: the same proxy with no flag on bounds what it can reach.
    if (plain) process.stdout.write(`  ceiling on this machine: pass-through / nginx-mirror RPS ${(plain.rps / nginx.rps).toFixed(2)}\n`);
  }
  if (shadow && Number.isFinite(pairsPerSecond)) {
    process.stdout.write(`share of proxy-shadow requests compared and recorded: ${fmt((100 * pairsPerSecond) / shadow.rps)}% (the rest past the mirror budget, counted)\n`);
  }
  if (shadow && plain) {
    const ratio = shadow.p99Ms / plain.p99Ms;
    process.stdout.write(`client p99 at saturation, proxy-shadow / pass-through: ${ratio.toFixed(2)} (saturated closed loop: fewer RPS means longer queues)\n`);
  }
  for (const [name, f] of fixed) {
    process.stdout.write(`${name.padEnd(13)} at a fixed ${rate} req/s: p50 ${fmt(f.p50Ms, 2)} ms   p99 ${fmt(f.p99Ms, 2)} ms   (${f.sent} sent, ${f.errors} errors)\n`);
  }
  const fs = fixed.get('proxy-shadow');
  const fp = fixed.get('proxy');
  if (fs && fp) {
    const ratio = fs.p99Ms / fp.p99Ms;
    process.stdout.write(`client p99 at ${rate} req/s, proxy-shadow / pass-through: ${ratio.toFixed(2)} (target ≤ 1.3) ${ratio <= 1.3 ? 'met' : 'NOT met'}\n`);
  }
  process.stdout.write(`recorded pairs/s: ${fmt(pairsPerSecond)} (target ≥ 5000) ${pairsPerSecond >= 5_000 ? 'met' : 'NOT met'}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`shadow benchmark failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
