/**
 * The live HTML report on the admin port and the route events behind its timeline:
 *
 *   GET /report              every route with a candidate (or recorded pairs)      browser page
 *   GET /report/:route       one route                                             browser page
 *   GET /report.json         what the page polls (`?route=`, `?since=1h`)          JSON
 *
 * All three need the admin token: the bearer header, or the session cookie set by `/login`
 * (admin-session.ts). Plus the writers of `proxy_route_events`: flag changes observed in Unleash
 * and judge verdict changes, queued and written off the request path.
 *
 *   const report = reportWiring({ pool: () => pool, ready: () => schemaReady, … });
 *   adminRoutes.push(...report.adminRoutes);  onVerdict: (r, v) => report.onVerdict(r, v)
 *
 * Everything it needs arrives as plain functions, so it does not care who owns the judge.
 */
import { AppError, type Logger, type PgPool } from '@smp/platform';
import type { FeatureInterface } from 'unleash-client/lib/feature.js';
import type { AdminRequest, AdminRoute } from '../admin/admin-route.js';
import { flagChangeObserver, judgeDecisionEvent } from './flag-change-events.js';
import { renderReportPage, reportCsp } from './html/report-page.js';
import { buildReportData, type LiveRouteState, type LiveState } from './report-data.js';
import { RouteEventWriter } from './route-events.js';
import { parseSince } from './summary-format.js';

/** What the report reads of the judge's status per route; anything else is shown as given. */
export interface LooseRouteStatus {
  readonly routeId: string;
  readonly verdict: string | null;
  readonly judgement?: unknown;
  readonly consecutiveFailures?: number;
  readonly rollback?: { readonly state: string; readonly at: number; readonly by: string; readonly reason: string } | null;
}

export interface ReportWiringDeps {
  /** The comparison store, or null when DATABASE_URL is not set. */
  pool: () => PgPool | null;
  /** Its schema is migrated. */
  ready: () => boolean;
  routes: () => readonly { readonly id: string; readonly candidate: unknown; readonly flags: { readonly live: string; readonly shadow: string } }[];
  flags: { definition(name: string): FeatureInterface | undefined; percent(name: string): number; onChange(listener: () => void): void };
  judgeStatus: () => readonly LooseRouteStatus[];
  /** Calibration (legacy vs legacy): share of samples where each path differed. */
  noise: { report(routeId: string): { readonly samples: number; readonly paths: readonly { readonly path: string; readonly rate: number }[] } };
  replicaId: string;
  logger: Logger;
  closer: { add(name: string, close: () => unknown): void };
  now?: () => number;
}

export interface ReportWiring {
  readonly adminRoutes: AdminRoute[];
  /** Give every verdict here; a route's event is recorded when its verdict changes. */
  onVerdict(route: string, verdict: string): void;
}

function judgeView(s: LooseRouteStatus | undefined): LiveRouteState['judge'] {
  if (!s) return null;
  const j = (s.judgement ?? null) as { reasons?: unknown; criteria?: unknown; pairs?: unknown } | null;
  return { verdict: s.verdict, reasons: j?.reasons ?? [], criteria: j?.criteria ?? [], pairs: j?.pairs ?? null, consecutiveFailures: s.consecutiveFailures ?? null };
}

export function reportWiring(deps: ReportWiringDeps): ReportWiring {
  const now = deps.now ?? Date.now;
  const candidates = () => deps.routes().filter((r) => r.candidate !== null && r.id !== 'unmatched');
  let writer: RouteEventWriter | null = null;
  const events = (): RouteEventWriter | null => {
    const pool = deps.pool();
    if (writer === null && pool !== null) {
      const w = new RouteEventWriter({ pool, logger: deps.logger, ready: deps.ready });
      deps.closer.add('route events', () => w.close());
      writer = w;
    }
    return writer;
  };
  const observe = flagChangeObserver({
    routes: () => candidates().map((r) => ({ routeId: r.id, flags: [r.flags.live, r.flags.shadow] })),
    definition: (f) => deps.flags.definition(f),
    enqueue: (e) => events()?.enqueue(e),
    actor: deps.replicaId,
    now,
  });
  deps.flags.onChange(observe);
  observe();

  const lastVerdict = new Map<string, string>();
  const onVerdict = (route: string, verdict: string): void => {
    if (lastVerdict.get(route) === verdict) return;
    lastVerdict.set(route, verdict);
    const view = judgeView(deps.judgeStatus().find((s) => s.routeId === route));
    events()?.enqueue(judgeDecisionEvent(route, verdict, deps.replicaId, now(), view));
  };

  const live: LiveState = {
    routes: () => candidates().map((r) => r.id),
    state: (id) => {
      const r = candidates().find((x) => x.id === id);
      const s = deps.judgeStatus().find((x) => x.routeId === id);
      const noise = deps.noise.report(id);
      return {
        livePercent: r ? deps.flags.percent(r.flags.live) : 0,
        shadowPercent: r ? deps.flags.percent(r.flags.shadow) : 0,
        judge: judgeView(s),
        rollback: s?.rollback ? { state: s.rollback.state, at: new Date(s.rollback.at).toISOString(), by: s.rollback.by, reason: s.rollback.reason } : null,
        noise: noise.samples > 0 ? Object.fromEntries(noise.paths.map((p) => [p.path, p.rate])) : null,
      };
    },
  };

  const needPool = (): PgPool => {
    const pool = deps.pool();
    if (pool === null) throw new AppError('SERVICE_UNAVAILABLE', 'Comparison store not configured: set DATABASE_URL');
    if (!deps.ready()) throw new AppError('SERVICE_UNAVAILABLE', 'Comparison store unavailable: database not reachable');
    return pool;
  };
  const sinceOf = (req: AdminRequest): { text: string; date: Date } => {
    const text = req.query.get('since') || '1h';
    try {
      return { text, date: parseSince(text, now()) };
    } catch (err) {
      throw new AppError('VALIDATION_FAILED', (err as Error).message);
    }
  };
  const routeOf = (id: string | null): string | undefined => {
    if (id === null || id === '') return undefined;
    if (!candidates().some((r) => r.id === id)) throw new AppError('NOT_FOUND', `Route '${id}' not found`);
    return id;
  };
  const data = (req: AdminRequest, route: string | undefined) => buildReportData(needPool(), { since: sinceOf(req).date, now: new Date(now()), live, ...(route ? { route } : {}) });
  const page = async (req: AdminRequest, route: string | undefined) => {
    const query = new URLSearchParams({ since: sinceOf(req).text, ...(route ? { route } : {}) });
    const base = route ? `/report/${encodeURIComponent(route)}` : '/report';
    const periods = ['15m', '1h', '6h', '24h', '7d'].map((p) => [p, `${base}?since=${p}`] as const);
    const { html, nonce } = renderReportPage(await data(req, route), { refreshUrl: `/report.json?${query}`, logoutUrl: '/logout', periods });
    return {
      body: html,
      contentType: 'text/html; charset=utf-8',
      headers: { 'content-security-policy': reportCsp(nonce, true), 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' },
    };
  };

  return {
    onVerdict,
    adminRoutes: [
      { method: 'GET', path: '/report', browser: true, handle: (req) => page(req, routeOf(req.query.get('route'))) },
      { method: 'GET', path: '/report.json', browser: true, handle: async (req) => ({ body: await data(req, routeOf(req.query.get('route'))), headers: { 'cache-control': 'no-store' } }) },
      { method: 'GET', path: '/report/:route', browser: true, handle: (req) => page(req, routeOf(req.params.route)) },
    ],
  };
}
