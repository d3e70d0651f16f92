/**
 * Load generation for the benchmark: wrk when installed (C, cheap on a 2-core machine), else
 * autocannon in this process. Both report requests/s and latency percentiles.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  /** Where wrk's request script may be written. */
  workDir: string;
  connections: number;
  durationS: number;
  headers?: Record<string, string>;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  tool: 'wrk' | 'autocannon';
}

const run = promisify(execFile);

export async function hasWrk(): Promise<boolean> {
  try {
    await run('wrk', ['--version']).catch((err: { stdout?: string }) => {
      if (!err.stdout?.includes('wrk')) throw err;
    });
    return true;
  } catch {
    return false;
  }
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (m === null) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

/** Parse wrk's `--latency` report. */
export function parseWrk(output: string): Omit<LoadResult, 'tool'> {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? Number.NaN);
  const p50 = /^\s+50%\s+(\S+)/m.exec(output)?.[1];
  const p99 = /^\s+99%\s+(\S+)/m.exec(output)?.[1];
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const errors = non2xx + (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p50Ms: p50 ? toMs(p50) : Number.NaN, p99Ms: p99 ? toMs(p99) : Number.NaN, errors };
}

export async function generateLoad(options: LoadOptions, useWrk: boolean): Promise<LoadResult> {
  if (useWrk) {
    const headerArgs = Object.entries(options.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    // wrk sends GET unless a Lua script sets the method and body.
    const script = path.join(options.workDir, 'wrk-request.lua');
    writeFileSync(script, `wrk.method = ${JSON.stringify(options.method ?? 'GET')}\n${options.body !== undefined ? `wrk.body = ${JSON.stringify(options.body)}\n` : ''}`);
    const args = ['-t1', `-c${options.connections}`, `-d${options.durationS}s`, '--latency', '-s', script, ...headerArgs, options.url];
    const { stdout } = await run('wrk', args, { timeout: (options.durationS + 30) * 1000 });
    return { ...parseWrk(stdout), tool: 'wrk' };
  }
  const result = await autocannon({
    url: options.url,
    method: options.method ?? 'GET',
    ...(options.body !== undefined ? { body: options.body } : {}),
    connections: options.connections,
    duration: options.durationS,
    headers: options.headers ?? {},
  });
  return { rps: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors + result.non2xx, tool: 'autocannon' };
}
