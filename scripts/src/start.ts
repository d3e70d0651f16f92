/**
 * `npm start`: the whole stack on one machine. Starts every process with prefixed, readable logs,
 * waits for each to be healthy, prints what runs where, and on Ctrl-C (or SIGTERM) stops them all
 * in reverse order and exits 0.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@smp/platform';
import { parseStackConfig, type StackConfig } from './config.js';
import { serviceProcess } from './service-process.js';
import { Supervisor } from './supervisor.js';
import type { StackComponent } from './component.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const COLORS = [36, 35, 33, 32, 34, 91, 92];

function main(config: StackConfig): void {
  const color = process.stdout.isTTY === true && config.NO_COLOR === undefined;
  const names = ['legacy-monolith', 'prediction-service', 'anomaly-service', 'proxy'];
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
  const components: StackComponent[] = [
    serviceProcess({ ...common, name: 'legacy-monolith', script: script('legacy-monolith'), port: config.LEGACY_PORT }),
    serviceProcess({ ...common, name: 'prediction-service', script: script('prediction-service'), port: config.PREDICTION_PORT }),
    serviceProcess({ ...common, name: 'anomaly-service', script: script('anomaly-service'), port: config.ANOMALY_PORT }),
    serviceProcess({ ...common, name: 'proxy', script: script('proxy'), port: config.PROXY_PORT }),
  ];
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
      const rows = running.flatMap((r) => Object.entries(r.endpoints).map(([label, where]) => [label, where] as const));
      const w = Math.max(...rows.map(([l]) => l.length));
      const lines = ['', 'The stack is up:', ...rows.map(([label, where]) => `  ${label.padEnd(w)}  ${where}`), '', 'Press Ctrl-C to stop.', ''];
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
