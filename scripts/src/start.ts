/**
 * `npm start`: the whole stack on one machine. Starts PostgreSQL (embedded, unless DATABASE_URL is
 * given), Unleash with the migration flags (embedded, unless UNLEASH_URL is given), the three
 * services and the proxy in front of them, each with prefixed, readable logs; waits for each to be
 * healthy, prints what runs where (proxy, admin URL and token, Unleash UI and login), and on Ctrl-C
 * (or SIGTERM) stops them all in reverse order and exits 0.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@smp/platform';
import { parseStackConfig, type StackConfig } from './config.js';
import { embeddedPostgres } from './embedded-postgres.js';
import { flagServer } from './flag-server.js';
import { renderLogLine } from './log-lines.js';
import { serviceProcess } from './service-process.js';
import { Supervisor } from './supervisor.js';
import type { StackComponent } from './component.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const COLORS = [36, 35, 33, 32, 34, 91, 92];

function main(config: StackConfig): void {
  const color = process.stdout.isTTY === true && config.NO_COLOR === undefined;
  const names = ['legacy-monolith', 'prediction-service', 'anomaly-service', 'proxy', 'postgres', 'unleash'];
  const width = Math.max(...names.map((n) => n.length), 'stack'.length);
  const paint = (name: string, text: string) => {
    const i = names.indexOf(name);
    return color ? `\x1b[${COLORS[(i < 0 ? 6 : i) % COLORS.length]}m${text}\x1b[0m` : text;
  };
  const output = (name: string, line: string) => process.stdout.write(`${paint(name, name.padEnd(width))} │ ${line}\n`);
  const log = (line: string) => output('stack', line);

  const common = {
    healthTimeoutMs: config.STACK_HEALTH_TIMEOUT_MS,
    stopTimeoutMs: config.STACK_STOP_TIMEOUT_MS,
    output,
    rawLogs: config.STACK_RAW_LOGS,
    baseEnv: process.env,
    color,
  };
  const script = (ws: string) => path.join(ROOT, ws, 'dist/src/main.js');
  const local = (p: number) => `http://127.0.0.1:${p}`;
  const adminToken = config.ADMIN_TOKEN ?? randomBytes(24).toString('base64url');
  const components: StackComponent[] = [];
  if (config.DATABASE_URL === undefined) {
    components.push(
      embeddedPostgres({
        stackDir: config.STACK_DIR,
        port: config.STACK_POSTGRES_PORT,
        verbose: ['verbose', 'debug', 'silly'].includes(config.LOG_LEVEL),
        startTimeoutMs: config.STACK_HEALTH_TIMEOUT_MS,
        stopTimeoutMs: config.STACK_STOP_TIMEOUT_MS,
        output,
      }),
    );
  }
  components.push(
    flagServer({
      stackDir: config.STACK_DIR,
      external:
        config.UNLEASH_URL === undefined
          ? undefined
          : { url: config.UNLEASH_URL, clientToken: config.UNLEASH_API_TOKEN!, adminToken: config.UNLEASH_ADMIN_TOKEN! },
      port: config.UNLEASH_PORT,
      environment: config.UNLEASH_ENVIRONMENT,
      databaseUrl: config.UNLEASH_DATABASE_URL,
      sharedDatabaseUrl: config.DATABASE_URL,
      logLevel: ['debug', 'silly'].includes(config.LOG_LEVEL) ? 'debug' : config.LOG_LEVEL === 'verbose' ? 'info' : config.LOG_LEVEL === 'error' ? 'error' : 'warn',
      startTimeoutMs: config.STACK_HEALTH_TIMEOUT_MS,
      stopTimeoutMs: config.STACK_STOP_TIMEOUT_MS,
      output,
      render: (line) => (config.STACK_RAW_LOGS ? line : renderLogLine(line, color)),
    }),
    serviceProcess({ ...common, name: 'legacy-monolith', script: script('legacy-monolith'), port: config.LEGACY_PORT }),
    serviceProcess({ ...common, name: 'prediction-service', script: script('prediction-service'), port: config.PREDICTION_PORT }),
    serviceProcess({ ...common, name: 'anomaly-service', script: script('anomaly-service'), port: config.ANOMALY_PORT }),
    serviceProcess({
      ...common,
      name: 'proxy',
      script: script('proxy'),
      port: config.PROXY_PORT,
      env: {
        LEGACY_URL: local(config.LEGACY_PORT),
        PREDICTION_URL: local(config.PREDICTION_PORT),
        ANOMALY_URL: local(config.ANOMALY_PORT),
        ADMIN_PORT: String(config.ADMIN_PORT),
        ADMIN_TOKEN: adminToken,
      },
      endpoints: (url) => ({
        proxy: `${url}  (clients use this)`,
        'proxy admin': `${local(config.ADMIN_PORT)}  (Authorization: Bearer ${adminToken})`,
      }),
    }),
  );
  const supervisor = new Supervisor(components, { log });

  let exiting = false;
  const shutdown = (code: number, why: string) => {
    if (exiting) return;
    exiting = true;
    log(`${why}: stopping the stack`);
    void supervisor.stop().then(() => {
      log('stack stopped');
      process.exit(code);
    });
  };
  process.on('SIGINT', () => shutdown(0, 'SIGINT'));
  process.on('SIGTERM', () => shutdown(0, 'SIGTERM'));

  supervisor
    .start()
    .then((running) => {
      // What people reach for first comes first: the proxy, its admin port, the flags.
      const first = ['proxy', 'proxy admin', 'Unleash UI', 'Unleash (given)'];
      const rank = (label: string) => (first.includes(label) ? first.indexOf(label) : first.length);
      const rows = running
        .flatMap((r) => Object.entries(r.endpoints).map(([label, where]) => [label, where] as const))
        .sort((a, b) => rank(a[0]) - rank(b[0]));
      const w = Math.max(...rows.map(([l]) => l.length));
      const lines = [
        '',
        'The stack is up:',
        ...rows.map(([label, where]) => `  ${label.padEnd(w)}  ${where}`),
        '',
        'Ramp a route: npm run flags -- live ml-predict 10   (status: npm run flags -- status)',
        'Press Ctrl-C to stop.',
        '',
      ];
      process.stdout.write(lines.join('\n') + '\n');
      void supervisor.firstExit().then(({ name, code }) => shutdown(1, `${name} exited unexpectedly (code ${code})`));
    })
    .catch((err: Error) => shutdown(1, `start failed: ${err.message}`));
}

try {
  main(parseStackConfig(process.env));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`npm start: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
