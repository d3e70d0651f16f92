/**
 * The real processes of the fault suite, each on 127.0.0.1 and a free port, each with a close():
 * fault upstreams (fault-upstream.ts), proxies (proxy/dist/src/main.js), Redis (redis-server) and
 * PostgreSQL (Debian's binaries, run as the postgres user, in a temp dir). The machine's shared
 * PostgreSQL and Redis are never touched: the suite kills only what it started here.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, chownSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@smp/platform/testkit';

const DIST = path.dirname(fileURLToPath(import.meta.url));

// If the suite itself is stopped (Ctrl-C, a CI timeout), nothing it started may outlive it.
const children = new Set<ChildProcess>();
const exitHooks = new Set<() => void>();
function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const hook of exitHooks) hook();
});
const PROXY_MAIN = path.join(DIST, '..', 'src', 'main.js');

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

async function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** What an upstream received: served request ids, mirrored count, unexpected request targets. */
export interface UpstreamSeen {
  served: string[];
  shadow: number;
  paths: string[];
}

export interface FaultUpstream {
  readonly name: string;
  readonly url: string;
  setMode(mode: string): Promise<void>;
  /** Served request ids and the mirrored count since the last call. */
  seen(): Promise<UpstreamSeen>;
  close(): Promise<void>;
}

export async function startUpstream(name: string): Promise<FaultUpstream> {
  const [port, controlPort] = [await freePort(), await freePort()];
  const child = track(spawn(process.execPath, [path.join(DIST, 'fault-upstream.js'), name, String(port), String(controlPort)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] }));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`upstream ${name} exited with ${code}`)));
  });
  const control = `http://127.0.0.1:${controlPort}`;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    async setMode(mode) {
      const res = await fetch(`${control}/mode/${encodeURIComponent(mode)}`, { method: 'POST' });
      if (!res.ok) throw new Error(`upstream ${name}: mode ${mode} refused`);
      await res.arrayBuffer();
    },
    async seen() {
      return (await (await fetch(`${control}/seen`)).json()) as UpstreamSeen;
    },
    close: () => stop(child),
  };
}

export interface ProxyProcess {
  readonly url: string;
  readonly adminUrl: string;
  readonly pid: number;
  readonly token: string;
  /** Resident set size in bytes (from /proc). */
  rss(): number;
  /** Open file descriptors (from /proc). */
  fds(): number;
  /** Client connections open to its serving port (established TCP, from /proc/net/tcp): part of `fds()`. */
  clientConnections(): number;
  admin(pathname: string, init?: RequestInit): Promise<Response>;
  signal(sig: NodeJS.Signals): void;
  exited(): Promise<void>;
  close(): Promise<void>;
}

export const ADMIN_TOKEN = 'fault-suite-admin-token';

/**
 * Established TCP connections (IPv4 and IPv6, from /proc/net/tcp*) whose local port (`side`
 * 'local': the server side of a listener's clients) or remote port ('remote': clients of a server
 * on that port) is `port`.
 */
export function established(port: number, side: 'local' | 'remote'): number {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const column = side === 'local' ? 1 : 2;
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] local address:port, f[2] remote address:port, f[3] state (01 = ESTABLISHED)
      if (f.length > 3 && f[3] === '01' && f[column].endsWith(hex)) n++;
    }
  }
  return n;
}

/** A proxy process with `env` on top of the suite's defaults; its log goes to `<dir>/<name>.log`. */
export async function startProxy(name: string, dir: string, env: Record<string, string>): Promise<ProxyProcess> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const log = openSync(path.join(dir, `${name}.log`), 'a');
  const child = track(
    spawn(process.execPath, [PROXY_MAIN], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ADMIN_PORT: String(adminPort), ADMIN_TOKEN, PROXY_ROUTES_WATCH: 'false', ...env },
      stdio: ['ignore', log, log],
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  let dead = false;
  child.once('exit', () => (dead = true));
  await waitFor(async () => {
    if (dead) throw new Error(`proxy ${name} exited at start; see ${dir}/${name}.log`);
    return (await fetch(`${adminUrl}/health`)).ok;
  }, 30_000, `proxy ${name}`);
  const pid = child.pid!;
  return {
    url,
    adminUrl,
    pid,
    token: ADMIN_TOKEN,
    rss: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024,
    fds: () => readdirSync(`/proc/${pid}/fd`).length,
    clientConnections: () => established(port, 'local'),
    admin: (pathname, init = {}) => fetch(`${adminUrl}${pathname}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers ?? {}) } }),
    signal: (sig) => child.kill(sig),
    exited: () => exited(child),
    close: () => stop(child),
  };
}

export interface OwnRedis {
  readonly url: string;
  /** SIGKILL (a crash); start() brings it back on the same port, empty. */
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startRedis(dir: string): Promise<OwnRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' }));
    const c = child;
    await waitFor(async () => {
      if (c.exitCode !== null) throw new Error('redis-server exited at start');
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
      return true;
    }, 10_000, 'redis-server');
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      if (child) await stop(child, 'SIGKILL');
    },
    start,
    async close() {
      if (child) await stop(child);
    },
  };
}

export interface OwnPostgres {
  readonly url: string;
  /** pg_ctl stop -m immediate (a crash) / start again on the same data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

function pgBin(): string {
  const root = '/usr/lib/postgresql';
  const version = existsSync(root) ? readdirSync(root).sort().pop() : undefined;
  if (version === undefined) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)');
  return path.join(root, version, 'bin');
}

/** A throw-away PostgreSQL cluster in `dir`, trust auth, owned by the postgres user (it refuses root). */
export async function startPostgres(dir: string): Promise<OwnPostgres> {
  const bin = pgBin();
  const port = await freePort();
  const data = path.join(dir, 'pgdata');
  mkdirSync(data, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? Number(execFileSync('id', ['-u', 'postgres']).toString().trim()) : undefined;
  const gid = asRoot ? Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) : undefined;
  if (asRoot) {
    chownSync(dir, uid!, gid!);
    chownSync(data, uid!, gid!);
  }
  const run = (cmd: string, args: string[]) => execFileSync(path.join(bin, cmd), args, { stdio: 'pipe', ...(asRoot ? { uid, gid } : {}), cwd: dir, env: { PATH: process.env.PATH ?? '' } });
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const start = async () => {
    run('pg_ctl', ['-D', data, '-l', path.join(dir, 'pg.log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  };
  await start();
  const crash = () => {
    try {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // not running
    }
  };
  exitHooks.add(crash);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    start,
    async close() {
      exitHooks.delete(crash);
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } catch {
        // already stopped
      }
    },
  };
}
