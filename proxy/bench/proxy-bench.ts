/**
 * `npm run bench`: the proxy's throughput side by side with the alternatives, on one upstream.
 *
 *   direct       the load generator straight at the upstream (the ceiling)
 *   proxy        this proxy (its own process, routes + flags loaded, every flag off: pass-through)
 *   http-proxy   http-proxy-3 with a keep-alive agent
 *   nginx        nginx with an upstream keepalive pool, when installed (1 worker by default)
 *
 * Every server runs in its own process; the load is wrk (else autocannon). Prints RPS, p50/p99
 * and the ratios the issue targets: proxy ≥ 0.75 × nginx and ≥ 1.8 × http-proxy.
 * More scenarios (e.g. "100% shadow") are entries of `scenarios()`: a name and a start() that
 * returns the URL to load and a stop().
 *
 * Environment: BENCH_DURATION_S (10), BENCH_CONNECTIONS (64), BENCH_SCENARIOS (comma list, default
 * direct,proxy,http-proxy,nginx; also proxy-live), BENCH_NGINX_WORKERS (1), BENCH_ROUNDS (1: rounds cycle
 * through the scenarios and the medians are compared, which evens out a shared machine's noise).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { freePort } from '@smp/platform/testkit';
import { generateLoad, hasWrk, type LoadResult } from './load-generator.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROXY_MAIN = path.resolve(HERE, '../src/main.js');
const PATH = '/api/v1/ml/predict';
/** A predict request body of the usual size. */
const BODY = JSON.stringify({ machine_id: 'm-001', type: 'M', air_temperature: 300.1, process_temperature: 310.2, rotational_speed: 1500, torque: 40.5, tool_wear: 108 });

export interface RunningTarget {
  url: string;
  stop(): Promise<void>;
}

export interface Scenario {
  name: string;
  /** Extra request headers for the load (e.g. an API key, so flags bucket clients). */
  headers?: Record<string, string>;
  /** Start the server under test in front of `upstreamUrl`; null when it cannot run here. */
  start(upstreamUrl: string, workDir: string): Promise<RunningTarget | null>;
}

/** Run a child process and wait until it prints READY or its URL answers. */
export async function startChild(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; readyUrl?: string } = {}): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(command, args, { env: { ...process.env, ...(options.env ?? {}) }, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}: ${output.slice(-1500)}`);
    if (options.readyUrl === undefined ? output.includes('READY') : await answers(options.readyUrl)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${command} not ready in 20 s: ${output.slice(-1500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await request(url, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, headersTimeout: 1_000 });
    await res.body.dump();
    return res.statusCode < 500;
  } catch {
    return false;
  }
}

/** This proxy as `npm start` runs it: main.js, a route table with the bench route, flags from a bootstrap file. */
/** Extras for one bench proxy: its file names, fields added to its one route, environment added or overridden. */
export interface BenchProxyOptions {
  name?: string;
  route?: Record<string, unknown>;
  env?: Record<string, string>;
}

/** This proxy as its own process in front of `upstreamUrl`, with one route `bench` and the given flags (a bootstrap file). */
export async function startProxy(upstreamUrl: string, workDir: string, flags: object, options: BenchProxyOptions = {}): Promise<RunningTarget> {
  const name = options.name ?? 'proxy';
  const port = await freePort();
  const routes = path.join(workDir, `${name}-routes.json`);
  const bootstrap = path.join(workDir, `${name}-flags.json`);
  writeFileSync(routes, JSON.stringify({ routes: [{ id: 'bench', match: { method: 'POST', path: PATH }, legacy: 'legacy', candidate: 'prediction', idempotent: true, ...options.route }] }));
  writeFileSync(bootstrap, JSON.stringify(flags));
  // BENCH_PROXY_NODE_ARGS: extra node flags for the proxy under test, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`.
  const nodeArgs = (process.env.BENCH_PROXY_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = await startChild(process.execPath, [...nodeArgs, PROXY_MAIN], {
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      ADMIN_PORT: 'off',
      LOG_LEVEL: 'warn',
      LEGACY_URL: upstreamUrl,
      PREDICTION_URL: upstreamUrl,
      ANOMALY_URL: upstreamUrl,
      PROXY_ROUTES: routes,
      PROXY_ROUTES_WATCH: 'false',
      UNLEASH_BOOTSTRAP: bootstrap,
      UNLEASH_URL: '',
      ...options.env,
    },
    readyUrl: `http://127.0.0.1:${port}${PATH}`,
  });
  return { url: `http://127.0.0.1:${port}${PATH}`, stop: child.stop };
}

const liveFlag = (rollout: number) => ({
  version: 2,
  features: [{ name: 'migrate.bench.live', enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: String(rollout), stickiness: 'default', groupId: 'migrate.bench.live' }, constraints: [] }] }],
});

function hasNginx(): boolean {
  try {
    execFileSync('nginx', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * nginx as a child process with a generated config: upstream `bench` (keepalive pool) in front of
 * `upstreamUrl`, the given `location` blocks (and extra `upstream` blocks), 1 worker by default;
 * null when nginx is not installed.
 */
export async function startNginx(upstreamUrl: string, workDir: string, options: { name: string; locations: string; upstreams?: string }): Promise<RunningTarget | null> {
  if (!hasNginx()) return null;
  const port = await freePort();
  const prefix = path.join(workDir, options.name);
  mkdirSync(path.join(prefix, 'logs'), { recursive: true });
  const workers = Number(process.env.BENCH_NGINX_WORKERS ?? 1);
  const conf = path.join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes ${workers};
daemon off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi; uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  upstream bench { server ${new URL(upstreamUrl).host}; keepalive 128; }
  ${options.upstreams ?? ''}
  server {
    listen 127.0.0.1:${port};
    ${options.locations}
  }
}
`,
  );
  const child = await startChild('nginx', ['-p', prefix, '-c', conf, '-e', `${prefix}/logs/error.log`], { readyUrl: `http://127.0.0.1:${port}${PATH}` });
  return { url: `http://127.0.0.1:${port}${PATH}`, stop: child.stop };
}

export function scenarios(): Scenario[] {
  return [
    { name: 'direct', start: async (upstreamUrl) => ({ url: `${upstreamUrl}${PATH}`, stop: async () => undefined }) },
    { name: 'proxy', start: (upstreamUrl, dir) => startProxy(upstreamUrl, dir, { version: 2, features: [] }) },
    {
      name: 'proxy-live',
      headers: { 'x-api-key': 'bench-client' },
      start: (upstreamUrl, dir) => startProxy(upstreamUrl, dir, liveFlag(100), { name: 'proxy-live' }),
    },
    {
      name: 'http-proxy',
      start: async (upstreamUrl) => {
        const port = await freePort();
        const child = await startChild(process.execPath, [path.join(HERE, 'http-proxy-server.js'), String(port), upstreamUrl]);
        return { url: `http://127.0.0.1:${port}${PATH}`, stop: child.stop };
      },
    },
    {
      name: 'nginx',
      start: (upstreamUrl, dir) =>
        startNginx(upstreamUrl, dir, { name: 'nginx', locations: 'location / { proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection ""; }' }),
    },
  ];
}

/** The run with the median RPS (the upper middle one for an even count). */
function median(list: LoadResult[]): LoadResult {
  const sorted = [...list].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor(sorted.length / 2)];
}

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : 'n/a';
}

async function main(): Promise<void> {
  const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
  const wanted = (process.env.BENCH_SCENARIOS ?? 'direct,proxy,http-proxy,nginx').split(',').map((s) => s.trim());
  const useWrk = await hasWrk();
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'proxy-bench-'));
  const upstreamPort = await freePort();
  const upstream = await startChild(process.execPath, [path.join(HERE, 'bench-upstream.js'), String(upstreamPort)]);
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
  const results = new Map<string, LoadResult>();
  const rounds = Math.max(1, Math.floor(Number(process.env.BENCH_ROUNDS ?? 1)));
  const runs = new Map<string, LoadResult[]>();
  process.stdout.write(`proxy benchmark: POST ${PATH}, ${connections} connections, ${durationS} s per scenario${rounds > 1 ? ` × ${rounds} rounds (interleaved, medians)` : ''}, load by ${useWrk ? 'wrk' : 'autocannon'}, ${os.cpus().length} CPUs\n`);
  try {
    // Rounds cycle through the scenarios, so a burst of load from elsewhere on the machine hits
    // every scenario alike instead of skewing one ratio.
    for (let round = 0; round < rounds; round++) {
      for (const scenario of scenarios().filter((s) => wanted.includes(s.name))) {
        const target = await scenario.start(upstreamUrl, workDir);
        if (target === null) {
          if (round === 0) process.stdout.write(`${scenario.name.padEnd(12)} skipped (not installed)\n`);
          continue;
        }
        try {
          // A short warm-up fills connection pools and lets V8 optimise the hot path.
          const load = { url: target.url, method: 'POST' as const, body: BODY, workDir, connections, headers: { 'content-type': 'application/json', ...(scenario.headers ?? {}) } };
          await generateLoad({ ...load, durationS: 2 }, useWrk);
          const result = await generateLoad({ ...load, durationS }, useWrk);
          const list = runs.get(scenario.name) ?? [];
          list.push(result);
          runs.set(scenario.name, list);
          const label = rounds > 1 ? `${scenario.name} #${round + 1}` : scenario.name;
          process.stdout.write(`${label.padEnd(15)} ${fmt(result.rps).padStart(8)} req/s   p50 ${fmt(result.p50Ms, 2).padStart(6)} ms   p99 ${fmt(result.p99Ms, 2).padStart(6)} ms   errors ${result.errors}\n`);
        } finally {
          await target.stop();
        }
      }
    }
  } finally {
    await upstream.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
  for (const [name, list] of runs) results.set(name, median(list));
  if (rounds > 1) {
    process.stdout.write('medians:\n');
    for (const [name, result] of results) {
      process.stdout.write(`${name.padEnd(15)} ${fmt(result.rps).padStart(8)} req/s   p50 ${fmt(result.p50Ms, 2).padStart(6)} ms   p99 ${fmt(result.p99Ms, 2).padStart(6)} ms   errors ${result.errors}\n`);
    }
  }
  const proxy = results.get('proxy');
  if (proxy !== undefined) {
    for (const [other, target] of [['nginx', 0.75], ['http-proxy', 1.8]] as const) {
      const base = results.get(other);
      if (base === undefined) continue;
      const ratio = proxy.rps / base.rps;
      process.stdout.write(`proxy / ${other}: ${ratio.toFixed(2)} (target ≥ ${target}) ${ratio >= target ? 'met' : 'NOT met'}\n`);
    }
  }
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => {
    process.stderr.write(`benchmark failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
