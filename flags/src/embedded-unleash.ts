/**
 * A real Unleash server (unleash-server 7.5) in a child process, on a PostgreSQL database you give:
 *
 *   const unleash = await startEmbeddedUnleash({ databaseUrl: db.url });
 *   // unleash.apiUrl = 'http://127.0.0.1:41234/api' -> the proxy's UNLEASH_URL
 *   // unleash.clientToken -> UNLEASH_API_TOKEN, unleash.adminToken -> UNLEASH_ADMIN_TOKEN
 *   await unleash.close();
 *
 * Its tables live in their own schema (`unleash` by default, created if missing), so it can share
 * a database with the services. Nothing calls the internet: telemetry and version checks are off,
 * and the UI is served from the installed package. Client feature caching is off, so a change made
 * through the Admin API is what the next client poll sees. The child exits when its parent does
 * (stdin/IPC close), even if the parent is SIGKILLed.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { requestStart, stopChild } from './supervised-child.js';

export interface UnleashLogin {
  username: string;
  password: string;
}

export interface EmbeddedUnleashOptions {
  databaseUrl: string;
  /** PostgreSQL schema for Unleash's tables (created if missing). Default `unleash`. */
  schema?: string;
  /** Listen port; 0 (default) takes a free one. */
  port?: number;
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Secrets to create or keep; generated when omitted. Admin: `*:*.…`, client: `*:<env>.…`. */
  adminToken?: string;
  clientToken?: string;
  /** The environment the client token reads. Default `development`. */
  environment?: string;
  /** The UI login (made true on every start). Default: admin with a generated password. */
  uiLogin?: UnleashLogin;
  /** Unleash's own log level. Default `warn`. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Where Unleash's log lines (JSON) and stray output go. Default: dropped. */
  output?: (line: string) => void;
  /** How long the start (schema, migrations, listen, health) may take. Default 90 s. */
  startTimeoutMs?: number;
  /** How long close() waits before SIGKILL. Default 10 s. */
  stopTimeoutMs?: number;
}

/** A running Unleash server; `close()` stops it (idempotent) and resolves when the process is gone. */
export interface EmbeddedUnleash {
  /** Base URL, e.g. http://127.0.0.1:4242 (the UI is here). */
  url: string;
  /** Client API URL (`<url>/api`): what unleash-client and UNLEASH_URL take. */
  apiUrl: string;
  port: number;
  adminToken: string;
  clientToken: string;
  environment: string;
  uiLogin: UnleashLogin;
  pid: number;
  /** Resolves with the exit code if the server process ends (on its own or after close()). */
  exited: Promise<number | null>;
  close(): Promise<void>;
}

/** Options as the child process receives them. */
export interface UnleashProcessOptions {
  databaseUrl: string;
  schema: string;
  host: string;
  port: number;
  adminToken: string;
  clientToken: string;
  environment: string;
  uiLogin: UnleashLogin;
  logLevel: string;
  secret: string;
}

/** What the child reports once Unleash serves. */
export interface UnleashReady {
  port: number;
}

const CHILD = fileURLToPath(new URL('./unleash-process.js', import.meta.url));

/** Random API token secrets in Unleash's `<project>:<environment>.<hash>` shape. */
export function generateTokens(environment = 'development'): { adminToken: string; clientToken: string } {
  return { adminToken: `*:*.${randomBytes(24).toString('hex')}`, clientToken: `*:${environment}.${randomBytes(24).toString('hex')}` };
}

/** A password Unleash's strength rules accept (length, upper, lower, digit, symbol). */
export function generatePassword(): string {
  return `Smp-${randomBytes(12).toString('base64url')}-9x`;
}

/** The child reports ready once Unleash listens; one /health answer confirms it serves. */
async function checkHealthy(url: string): Promise<void> {
  let res;
  try {
    res = await request(`${url}/health`, { headersTimeout: 5_000, bodyTimeout: 5_000 });
  } catch (err) {
    throw new Error(`Unleash at ${url} does not answer /health: ${(err as Error).message}`);
  }
  await res.body.dump();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`Unleash at ${url} answers /health with ${res.statusCode}`);
}

export async function startEmbeddedUnleash(options: EmbeddedUnleashOptions): Promise<EmbeddedUnleash> {
  const environment = options.environment ?? 'development';
  const generated = generateTokens(environment);
  const schema = options.schema ?? 'unleash';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`schema must be a lower-case SQL identifier, got "${schema}"`);
  const childOptions: UnleashProcessOptions = {
    databaseUrl: options.databaseUrl,
    schema,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    adminToken: options.adminToken ?? generated.adminToken,
    clientToken: options.clientToken ?? generated.clientToken,
    environment,
    uiLogin: options.uiLogin ?? { username: 'admin', password: generatePassword() },
    logLevel: options.logLevel ?? 'warn',
    secret: randomBytes(24).toString('hex'),
  };
  const output = options.output ?? (() => undefined);
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;

  // Unleash reads many variables of its own (DATABASE_URL, PORT, UNLEASH_URL, LOG_LEVEL, INIT_*):
  // give it none of the stack's, only what a process needs, with telemetry and version checks off.
  const child = spawn(process.execPath, ['--no-deprecation', '--enable-source-maps', CHILD], {
    env: { TZ: 'UTC', SEND_TELEMETRY: 'false', CHECK_VERSION: 'false' },
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
  });
  for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream, crlfDelay: Infinity }).on('line', output);
  child.stdin!.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= stopChild(child, stopTimeoutMs, { onKill: () => output(`unleash did not stop within ${stopTimeoutMs} ms, killing it`) });
    return closing;
  };

  try {
    let port: number;
    try {
      ({ port } = await requestStart<UnleashProcessOptions, UnleashReady>(child, childOptions, startTimeoutMs));
    } catch (err) {
      throw new Error(`unleash-server did not start: ${(err as Error).message}`);
    }
    const host = childOptions.host === '0.0.0.0' || childOptions.host === '::' ? '127.0.0.1' : childOptions.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    await checkHealthy(url);
    return {
      url,
      apiUrl: `${url}/api`,
      port,
      adminToken: childOptions.adminToken,
      clientToken: childOptions.clientToken,
      environment,
      uiLogin: childOptions.uiLogin,
      pid: child.pid!,
      exited,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
