/**
 * Closed-loop load: `connections` workers over one keep-alive undici Pool, each sending its next
 * request as soon as the previous answer has been read, for `seconds` after a warm-up. Every
 * latency is kept, so P50/P95/P99 are exact ranks (not histogram buckets).
 *
 *   const r = await closedLoop({ origin, connections: 16, seconds: 5, warmupSeconds: 1, request: (i) => ({ path, body }) });
 *   // { requests: 9120, errors: 0, rps: 1824, p50: 8.1, p95: 14.2, p99: 19.9 }  (milliseconds)
 */
import { Pool } from 'undici';

/** One request of the loop; `i` counts requests, so bodies and keys can rotate. */
export interface LoopRequest {
  path: string;
  body: string;
  headers?: Record<string, string>;
}

export interface ClosedLoopOptions {
  origin: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  request: (i: number) => LoopRequest;
}

export interface ClosedLoopResult {
  requests: number;
  /** Non-2xx answers and transport errors during the measured period. */
  errors: number;
  /** The first error seen, to say why. */
  firstError?: string;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
}

/** The value at rank ceil(q·n) of sorted values (nearest rank). */
export function rankPercentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export async function closedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const pool = new Pool(options.origin, { connections: options.connections, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let counter = 0;
  let phase: 'warmup' | 'measure' | 'stop' = 'warmup';

  const worker = async () => {
    while (phase !== 'stop') {
      const { path, body, headers } = options.request(counter++);
      const measuring = phase === 'measure';
      const t0 = performance.now();
      let failure: string | undefined;
      try {
        const res = await pool.request({ path, method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
        const text = await res.body.text();
        if (res.statusCode >= 300) failure = `${res.statusCode} ${text.slice(0, 200)}`;
      } catch (err) {
        failure = (err as Error).message;
      }
      if (!measuring || phase !== 'measure') continue;
      latencies.push(performance.now() - t0);
      if (failure !== undefined) {
        errors += 1;
        firstError ??= failure;
      }
    }
  };

  const workers = Array.from({ length: options.connections }, worker);
  await new Promise((r) => setTimeout(r, options.warmupSeconds * 1000));
  phase = 'measure';
  const started = performance.now();
  await new Promise((r) => setTimeout(r, options.seconds * 1000));
  phase = 'stop';
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(workers);
  await pool.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: sorted.length,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    rps: sorted.length / elapsed,
    p50: rankPercentile(sorted, 0.5),
    p95: rankPercentile(sorted, 0.95),
    p99: rankPercentile(sorted, 0.99),
  };
}
