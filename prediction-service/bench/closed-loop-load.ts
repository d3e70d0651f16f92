/**
 * A closed-loop load generator with exact latency percentiles: `connections` workers, each sending
 * its next request as soon as the previous answer is read, over one keep-alive undici Pool, for
 * `durationS` seconds after a warm-up. Every latency is kept, so P95 is a real P95 (autocannon
 * reports P97.5, not P95).
 *
 *   const r = await closedLoopLoad({ url, body, connections: 16, durationS: 5, warmupS: 1 });
 *   // { rps: 6200, p50Ms: 2.4, p95Ms: 3.1, p99Ms: 4.0, requests: 31000, errors: 0 }
 */
import { Pool } from 'undici';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
  connections: number;
  durationS: number;
  warmupS?: number;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx answers and transport errors. */
  errors: number;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

export async function closedLoopLoad(options: LoadOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const pool = new Pool(target.origin, { connections: options.connections, pipelining: 1 });
  const headers = { 'content-type': 'application/json', ...(options.headers ?? {}) };
  const path = `${target.pathname}${target.search}`;
  const method = options.method ?? (options.body ? 'POST' : 'GET');
  const latencies: number[] = [];
  let errors = 0;
  let recording = false;
  let stop = false;

  const worker = async (): Promise<void> => {
    while (!stop) {
      const started = process.hrtime.bigint();
      try {
        const res = await pool.request({ origin: target.origin, path, method, headers, body: options.body });
        await res.body.dump();
        if (recording) {
          latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
          if (res.statusCode >= 300) errors += 1;
        }
      } catch {
        if (recording) errors += 1;
      }
    }
  };

  const workers = Array.from({ length: options.connections }, () => worker());
  await new Promise((r) => setTimeout(r, (options.warmupS ?? 1) * 1000));
  recording = true;
  const started = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, options.durationS * 1000));
  recording = false;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  stop = true;
  await Promise.all(workers);
  await pool.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    rps: latencies.length / seconds,
    p50Ms: percentile(sorted, 0.5),
    p95Ms: percentile(sorted, 0.95),
    p99Ms: percentile(sorted, 0.99),
    requests: latencies.length,
    errors,
  };
}
