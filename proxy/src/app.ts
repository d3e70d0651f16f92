/**
 * proxy: the app, wired from injected dependencies. `createApp(deps)` builds the proxy's parts
 * (route source, flag source, pools, breakers, metrics) and returns three listeners: the public
 * request handler, the upgrade handler and the admin handler. `start()` (index.ts) serves them.
 *
 * Extension points (each costs one null check on the hot path when unused):
 *   gate            CandidateGate: may a route's candidate get traffic (rollback)?
 *   tap             ExchangeTap: observe exchanges (shadowing, comparison)
 *   adminRoutes     extra admin endpoints
 *   statusSections  extra top-level keys in GET /status
 *   extend(core)    the same four, built from the proxy's own parts (route table, flags, …)
 *
 * Health: the public `/health` is forwarded to legacy like any path (clients keep seeing the
 * monolith's health); the proxy's own health is `GET /health` on the admin port, without a token.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError, legacyTimestamp, type AppDeps } from '@smp/platform';
import type { Config } from './config.js';
import type { CandidateGate, ExchangeTap } from './exchange.js';
import { createForwarder } from './forwarder.js';
import { ProxyMetrics } from './proxy-metrics.js';
import type { AdminRoute, StatusSection } from './admin/admin-route.js';
import { createAdminListener } from './admin/admin-server.js';
import { RouteSource } from './routing/route-source.js';
import { RouteTableError, type Route } from './routing/route-table.js';
import { FlagSource } from './split/flag-source.js';
import type { MemoryRepository } from './split/memory-repository.js';
import { Splitter } from './split/splitter.js';
import { BreakerRegistry } from './upstream/circuit-breaker.js';
import { UpgradeProxy } from './upstream/upgrade-proxy.js';
import { UpstreamPools } from './upstream/upstream-pools.js';

export const SERVICE = 'proxy';

/** The plug-in seams; all optional. */
export interface ProxyHooks {
  gate?: CandidateGate;
  tap?: ExchangeTap;
  adminRoutes?: AdminRoute[];
  statusSections?: StatusSection[];
}

/** The proxy's own parts, handed to `extend` and returned by createApp/start. */
export interface ProxyCore {
  readonly config: Config;
  readonly logger: AppDeps<Config>['logger'];
  readonly registry: AppDeps<Config>['registry'];
  readonly closer: AppDeps<Config>['closer'];
  /** `routes.current` is the table in service; `routes.onChange` fires after each swap. */
  readonly routes: RouteSource;
  readonly flags: FlagSource;
  readonly breakers: BreakerRegistry;
  /** Upstream name -> base URL (`legacy`, `prediction`, `anomaly`). */
  readonly upstreams: Readonly<Record<string, string>>;
  readonly metrics: ProxyMetrics;
}

export interface ProxyDeps extends AppDeps<Config>, ProxyHooks {
  /** Build hooks from the proxy's parts; its gate/tap win over the plain ones, routes/sections add up. */
  extend?: (core: ProxyCore) => ProxyHooks | Promise<ProxyHooks>;
  /** Evaluate flags from this repository instead of UNLEASH_URL / UNLEASH_BOOTSTRAP (tests). */
  flagRepository?: MemoryRepository;
  /** Wall clock in ms for the breakers (tests drive it). */
  now?: () => number;
}

/** What createApp builds: the listeners for the public and admin servers, and the parts. */
export interface ProxyApp {
  readonly core: ProxyCore;
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  readonly admin: (req: IncomingMessage, res: ServerResponse) => void;
  /** End every upgrade tunnel (a server's graceful close would wait for them forever). */
  readonly closeTunnels: () => void;
}

/** The upstream names the route table may use, from LEGACY_URL, PREDICTION_URL, ANOMALY_URL. */
export function upstreamUrls(config: Config): Readonly<Record<string, string>> {
  return Object.freeze({ legacy: config.LEGACY_URL, prediction: config.PREDICTION_URL, anomaly: config.ANOMALY_URL });
}

export async function createApp(deps: ProxyDeps): Promise<ProxyApp> {
  const { config, logger, registry, closer } = deps;
  const upstreams = upstreamUrls(config);
  const routes = await RouteSource.open({ file: config.PROXY_ROUTES, upstreams, logger, watch: config.PROXY_ROUTES_WATCH });
  closer.add('route source', () => routes.close());
  const flags = await FlagSource.open({
    logger,
    appName: config.UNLEASH_APP_NAME,
    ...(deps.flagRepository !== undefined ? { repository: deps.flagRepository } : {}),
    ...(config.UNLEASH_URL !== undefined
      ? { server: { url: config.UNLEASH_URL, token: config.UNLEASH_API_TOKEN, refreshMs: config.UNLEASH_REFRESH_MS, readyTimeoutMs: config.UNLEASH_READY_TIMEOUT_MS } }
      : {}),
    ...(config.UNLEASH_BOOTSTRAP !== undefined ? { bootstrapFile: config.UNLEASH_BOOTSTRAP } : {}),
  });
  closer.add('flag source', () => flags.close());
  const breakers = new BreakerRegistry({
    threshold: config.BREAKER_FAILURE_THRESHOLD,
    openMs: config.BREAKER_OPEN_MS,
    now: deps.now ?? Date.now,
    onStateChange: (upstream, from, to) => logger.warn('circuit breaker changed state', { upstream, from, to }),
  });
  const metrics = new ProxyMetrics(registry, { routes, flags, breakers });
  routes.onChange(() => metrics.reloads.inc({ result: 'ok' }));
  routes.onReject(() => metrics.reloads.inc({ result: 'rejected' }));
  const pools = new UpstreamPools(upstreams, { connections: config.UPSTREAM_CONNECTIONS, connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT_MS });
  closer.add('upstream pools', () => pools.close());

  const core: ProxyCore = { config, logger, registry, closer, routes, flags, breakers, upstreams, metrics };
  const extension = deps.extend ? await deps.extend(core) : {};
  const gate = extension.gate ?? deps.gate ?? null;
  const tap = extension.tap ?? deps.tap ?? null;
  const sections = [...(deps.statusSections ?? []), ...(extension.statusSections ?? [])];

  const splitter = new Splitter(flags, breakers, gate);
  const handler = createForwarder({ routes, splitter, pools, breakers, metrics, tap, logger, bodyCap: config.FALLBACK_BODY_LIMIT_BYTES, tracer: deps.tracer });
  const upgrades = new UpgradeProxy(routes, logger, config.UPSTREAM_CONNECT_TIMEOUT_MS);
  closer.add('upgrade tunnels', () => upgrades.close());

  const flagState = (name: string) => {
    const def = flags.definition(name);
    return {
      name,
      exists: def !== undefined,
      enabled: def?.enabled ?? false,
      percent: flags.percent(name),
      variants: [...(def?.variants ?? []), ...(def?.strategies ?? []).flatMap((s) => s.variants ?? [])].map((v) => v.name),
    };
  };
  const describeRoute = (r: Route) => ({
    id: r.id,
    ...(r.description !== undefined ? { description: r.description } : {}),
    match: { methods: r.methods ?? '*', ...(r.path !== undefined ? { path: r.path } : { prefix: r.prefix }) },
    legacy: r.legacy.name,
    candidate: r.candidate?.name ?? null,
    idempotent: r.idempotent,
    timeouts: r.timeouts,
    rewrite: r.rewrite,
    allowed: gate === null ? true : gate.isAllowed(r.id),
    flags: r.candidate === null ? null : { live: flagState(r.flags.live), shadow: flagState(r.flags.shadow) },
    breaker: r.candidate === null ? null : breakers.for(r.candidate.name).snapshot(),
  });

  const coreRoutes: AdminRoute[] = [
    {
      method: 'GET',
      path: '/health',
      public: true,
      handle: () => ({ body: { status: 'ok', service: SERVICE, timestamp: legacyTimestamp() } }),
    },
    {
      method: 'GET',
      path: '/status',
      handle: async () => {
        const table = routes.current;
        const status: Record<string, unknown> = {
          service: SERVICE,
          timestamp: legacyTimestamp(),
          routeTable: routes.status(),
          routes: table.routes.map(describeRoute),
          flags: flags.status(),
          breakers: breakers.snapshot(),
          upstreams,
        };
        for (const section of sections) {
          try {
            Object.assign(status, await section());
          } catch (err) {
            logger.warn('status section failed', { error: (err as Error).message });
            ((status.sectionErrors ??= []) as string[]).push((err as Error).message);
          }
        }
        return { body: status };
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handle: async () => ({ body: await registry.metrics(), contentType: registry.contentType }),
    },
    {
      method: 'POST',
      path: '/reload',
      handle: async () => {
        try {
          const result = await routes.reload('admin');
          return { body: { status: result.changed ? 'reloaded' : 'unchanged', ...result } };
        } catch (err) {
          if (err instanceof RouteTableError) throw new AppError('VALIDATION_FAILED', err.message);
          throw err;
        }
      },
    },
  ];
  let adminToken = config.ADMIN_TOKEN;
  if (adminToken === undefined && config.ADMIN_PORT !== null) {
    // Never an open admin port: without a configured token, this run gets a random one.
    adminToken = randomBytes(24).toString('base64url');
    logger.warn('ADMIN_TOKEN not set: generated an admin token for this run (set ADMIN_TOKEN to choose one)', { admin_token: adminToken });
  }
  const admin = createAdminListener({
    token: adminToken ?? '',
    routes: [...coreRoutes, ...(deps.adminRoutes ?? []), ...(extension.adminRoutes ?? [])],
    logger,
  });
  return { core, handler, upgrade: upgrades.handle, admin, closeTunnels: () => upgrades.close() };
}
