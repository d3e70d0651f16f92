/**
 * proxy: start({ config, port, ...hooks }) -> { url, port, adminUrl, adminPort, core, close }.
 * Two servers: the public one (client traffic, upgrades) and the admin one (ADMIN_PORT, unless
 * `off`). close() stops both gracefully, then closes pools, the flag client and the file watcher.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { Closer, createLogger, createRegistry, listen, openTracing, type RunningService, type StartOptions } from '@smp/platform';
import { createApp, SERVICE, type ProxyCore, type ProxyDeps, type ProxyHooks } from './app.js';
import { parseConfig, type Config } from './config.js';
import { createExperiment } from './experiment.js';

export { createApp, parseConfig, SERVICE, type Config, type ProxyCore, type ProxyDeps, type ProxyHooks };
export type { AdminReply, AdminRequest, AdminRoute, StatusSection } from './admin/admin-route.js';
export type { CandidateGate, ExchangeObserver, ExchangeStart, ExchangeTap, RouteDecision, Target } from './exchange.js';
export type { Route, RouteTable, UpstreamRef } from './routing/route-table.js';
export { loadRouteTable } from './routing/route-source.js';
export { MemoryRepository } from './split/memory-repository.js';

export interface ProxyStartOptions extends Partial<StartOptions<Config>>, Omit<ProxyDeps, 'config' | 'logger' | 'registry' | 'closer' | 'tracer'> {
  /** Overrides config.ADMIN_PORT (tests pass 0); null runs without the admin server. */
  adminPort?: number | null;
}

/** A started proxy: the public URL and port, the admin URL and port (null when off), its parts. */
export interface RunningProxy extends RunningService {
  adminUrl: string | null;
  adminPort: number | null;
  core: ProxyCore;
}

function newServer(listener: http.RequestListener): http.Server {
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 300_000 }, listener);
  // Longer than any proxy's idle timeout in front of us, so it never reuses a socket we just closed.
  server.headersTimeout = 66_000;
  return server;
}

export async function start(options: ProxyStartOptions = {}): Promise<RunningProxy> {
  const { config: given, port, logger: givenLogger, registry: givenRegistry, adminPort: givenAdminPort, ...hooks } = options;
  const config = given ?? parseConfig({});
  const logger = givenLogger ?? createLogger({ service: SERVICE, level: config.LOG_LEVEL });
  const registry = givenRegistry ?? createRegistry({ service: SERVICE });
  const closer = new Closer();
  // Added first, so closed last: the spans of the last requests are exported.
  const tracing = openTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, service: config.OTEL_SERVICE_NAME ?? SERVICE });
  closer.add('tracing', () => tracing.close());
  const servers: RunningService[] = [];
  try {
    // Shadowing, judging and rollback are part of the product: on unless the caller plugs its own seams.
    const experiment = hooks.extend === undefined && hooks.tap === undefined && hooks.gate === undefined ? createExperiment() : null;
    const app = await createApp({ config, logger, registry, closer, tracer: tracing.tracer, ...hooks, ...(experiment ? { extend: experiment.extend } : {}) });
    const publicServer = newServer(app.handler);
    publicServer.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => app.upgrade(req, socket, head));
    const running = await listen(publicServer, { port: port ?? config.PORT, host: config.HOST, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, logger });
    servers.push(running);
    const adminPort = givenAdminPort === undefined ? config.ADMIN_PORT : givenAdminPort;
    let admin: RunningService | null = null;
    if (adminPort !== null) {
      admin = await listen(newServer(app.admin), { port: adminPort, host: config.ADMIN_HOST, shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS, logger });
      servers.push(admin);
      logger.info(`proxy admin listening on ${admin.url}`, { url: admin.url, port: admin.port });
    }
    let closed: Promise<void> | undefined;
    return {
      url: running.url,
      port: running.port,
      adminUrl: admin?.url ?? null,
      adminPort: admin?.port ?? null,
      core: app.core,
      close() {
        closed ??= (async () => {
          app.closeTunnels();
          await Promise.all(servers.map((s) => s.close()));
          await closer.closeAll(logger);
        })();
        return closed;
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    await closer.closeAll(logger);
    throw err;
  }
}
