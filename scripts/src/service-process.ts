/**
 * A workspace's compiled service as a child process: own process group (so its children stop with
 * it), stdin piped (the child exits if the supervisor dies, even by SIGKILL), output prefixed,
 * healthy when `GET <health>` answers 2xx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { StackComponent, StartedComponent } from './component.js';
import { lineSplitter, renderLogLine } from './log-lines.js';

export interface ServiceProcessSpec {
  name: string;
  /** Script to run with node, relative to the repository root. */
  script: string;
  port: number;
  /** Environment for this process only (PORT is added). */
  env?: Record<string, string>;
  healthPath?: string;
  endpoints?: (url: string) => Record<string, string>;
  healthTimeoutMs: number;
  stopTimeoutMs: number;
  output: (name: string, line: string) => void;
  rawLogs: boolean;
  /** The supervisor's own environment, inherited by every child. */
  baseEnv: NodeJS.ProcessEnv;
  color: boolean;
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

export async function waitHealthy(url: string, timeoutMs: number, exited: Promise<number | null>): Promise<void> {
  let dead: number | null | undefined;
  void exited.then((code) => (dead = code));
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (dead !== undefined) throw new Error(`exited with code ${dead} before becoming healthy`);
    try {
      const res = await request(url, { headersTimeout: 2_000, bodyTimeout: 2_000 });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) return;
      last = `status ${res.statusCode}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(150);
  }
  throw new Error(`not healthy after ${timeoutMs} ms (${last})`);
}

export function serviceProcess(spec: ServiceProcessSpec): StackComponent {
  return {
    name: spec.name,
    async start(env): Promise<StartedComponent> {
      const child = spawn(process.execPath, ['--enable-source-maps', spec.script], {
        env: { ...spec.baseEnv, ...env, ...(spec.env ?? {}), PORT: String(spec.port), SUPERVISED: 'true' },
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
      const emit = (line: string) => spec.output(spec.name, spec.rawLogs ? line : renderLogLine(line, spec.color));
      for (const stream of [child.stdout!, child.stderr!]) {
        const split = lineSplitter(emit);
        stream.on('data', (c: Buffer) => split.push(c));
        stream.on('end', () => split.flush());
      }
      child.stdin!.on('error', () => undefined);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const url = `http://127.0.0.1:${spec.port}`;
      const stop = async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        signalGroup(child, 'SIGTERM');
        const done = await Promise.race([exited.then(() => true), sleep(spec.stopTimeoutMs).then(() => false)]);
        if (!done) {
          spec.output(spec.name, `did not stop within ${spec.stopTimeoutMs} ms, killing`);
          signalGroup(child, 'SIGKILL');
          await exited;
        }
      };
      try {
        await waitHealthy(`${url}${spec.healthPath ?? '/health'}`, spec.healthTimeoutMs, exited);
      } catch (err) {
        await stop();
        throw new Error(`${spec.name}: ${(err as Error).message}`);
      }
      return { endpoints: spec.endpoints ? spec.endpoints(url) : { [spec.name]: url }, exited, stop };
    },
  };
}
