/**
 * A real proxy PROCESS (node proxy/dist/src/main.js) for end-to-end tests, and a keep-alive load
 * generator against it:
 *
 *   const p = await startProxyProcess({ LEGACY_URL, PREDICTION_URL, PROXY_ROUTES, … });
 *   const r = await load(p.url, 1_000, 16);            // statuses and x-served-by of every answer
 *   p.kill('SIGKILL');                                  // a crash: no lease released, nothing flushed
 *   await p.close();                                    // SIGTERM and wait (no-op once exited)
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { eventually, freePort } from '@smp/platform/testkit';
import { featuresFor } from './ml-twin.js';

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/main.js');
export const PROCESS_ADMIN_TOKEN = 'judge-e2e-admin-token-0123456789';

export interface ProxyProcess {
  url: string;
  adminUrl: string;
  pid: number;
  output(): string;
  /** Send a signal and wait until the process is gone. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** SIGTERM and wait (no-op once exited). */
  close(): Promise<void>;
}

export async function startProxyProcess(env: Record<string, string>): Promise<ProxyProcess> {
  const [port, adminPort] = [await freePort(), await freePort()];
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), ADMIN_PORT: String(adminPort), ADMIN_TOKEN: PROCESS_ADMIN_TOKEN, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  child.stderr!.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-20_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  try {
    await eventually(
      async () => {
        assert.equal(child.exitCode, null, `the proxy exited: ${output}`);
        const res = await request(`${adminUrl}/health`);
        await res.body.dump();
        assert.equal(res.statusCode, 200);
      },
      20_000,
      100,
    );
  } catch (err) {
    await kill('SIGKILL');
    throw err;
  }
  return { url, adminUrl, pid: child.pid!, output: () => output, kill, close: () => kill('SIGTERM') };
}

export interface LoadResult {
  sent: number;
  statuses: Map<number, number>;
  servedBy: Map<string, number>;
  seconds: number;
}

/** `n` requests, `concurrency` at a time, until `stop()` says so; every answer's status and server. */
export async function load(proxyUrl: string, n: number, concurrency: number, stop: () => boolean = () => false): Promise<LoadResult> {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 10_000 });
  const statuses = new Map<number, number>();
  const servedBy = new Map<string, number>();
  let next = 0;
  const t0 = process.hrtime.bigint();
  const worker = async () => {
    while (next < n && !stop()) {
      const i = next++;
      const res = await request(`${proxyUrl}/api/v1/ml/predict`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json', 'x-api-key': `client-${i % 97}` },
        body: JSON.stringify({ model_name: 'ai4i_classifier', features: featuresFor(i) }),
      });
      await res.body.dump();
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const by = String(res.headers['x-served-by'] ?? '');
      servedBy.set(by, (servedBy.get(by) ?? 0) + 1);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    await agent.close();
  }
  return { sent: next, statuses, servedBy, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}
