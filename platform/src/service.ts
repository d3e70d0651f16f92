/**
 * The service skeleton shared by every process of the stack:
 *   createApp(deps)            builds the request listener from injected dependencies (pure wiring)
 *   start({ config, port })    builds deps, serves the app, resolves to { url, port, close }
 *   main.ts                    the only side effects: read process.env once, runServiceMain(...)
 */
import type http from 'node:http';
import { ConfigError } from './errors.js';
import type { Env } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { Closer, runMain, type RunningService } from './lifecycle.js';
import { createRegistry, type Registry } from './metrics.js';
import { serve } from './http/serve.js';
import { openTracing, type Tracer } from './tracing.js';

/** What every service config has (from `commonEnv` plus its own PORT). */
export interface BaseConfig {
  readonly PORT: number;
  readonly HOST: string;
  readonly LOG_LEVEL: string;
  readonly SHUTDOWN_TIMEOUT_MS: number;
  readonly SUPERVISED: boolean;
  readonly OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  readonly OTEL_SERVICE_NAME?: string;
}

/** Dependencies handed to `createApp`: everything with I/O or state is injected. */
export interface AppDeps<C> {
  config: C;
  logger: Logger;
  registry: Registry;
  /** Register here whatever the app opens (pools, clients, timers); closed on shutdown. */
  closer: Closer;
  /** Null unless OTEL_EXPORTER_OTLP_ENDPOINT is set (tracing.ts). */
  tracer: Tracer | null;
}

export interface StartOptions<C> {
  config: C;
  /** Overrides config.PORT (tests pass 0). */
  port?: number;
  logger?: Logger;
  registry?: Registry;
}

export async function startApp<C extends BaseConfig>(
  service: string,
  build: (deps: AppDeps<C>) => Promise<http.RequestListener> | http.RequestListener,
  options: StartOptions<C>,
): Promise<RunningService> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ service, level: config.LOG_LEVEL });
  const registry = options.registry ?? createRegistry({ service });
  const closer = new Closer();
  // Added first, so closed last: the spans of the last requests and pool closes are exported.
  const tracing = openTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, service: config.OTEL_SERVICE_NAME ?? service });
  closer.add('tracing', () => tracing.close());
  let listener: http.RequestListener;
  try {
    listener = await build({ config, logger, registry, closer, tracer: tracing.tracer });
  } catch (err) {
    await closer.closeAll(logger);
    throw err;
  }
  return serve(listener, {
    port: options.port ?? config.PORT,
    host: config.HOST,
    shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
    logger,
    closer,
  });
}

export interface ServiceMainOptions<C extends BaseConfig> {
  service: string;
  env: Env;
  parseConfig: (env: Env) => C;
  start: (options: StartOptions<C>) => Promise<RunningService>;
}

/** The body of every `main.ts`: config refused with one clear message (exit 2), else run. */
export function runServiceMain<C extends BaseConfig>(options: ServiceMainOptions<C>): void {
  let config: C;
  try {
    config = options.parseConfig(options.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${options.service}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ service: options.service, level: config.LOG_LEVEL });
  void runMain(() => options.start({ config, logger }), { service: options.service, logger, supervised: config.SUPERVISED });
}
