/**
 * The admin port's comparison reports, beside what they show:
 *
 *   GET /comparisons?route=&since=1h&limit=100&outcome=   recent pairs (comparison-query.ts)
 *   GET /comparisons/summary?route=&since=1h              per-route summary (comparison-query.ts)
 *   GET /comparisons/noise?route=                         the noise calibration report (NoiseCalibrator)
 *
 * A bad query parameter is a 422 naming it; no database configured or reachable is a 503.
 */
import { AppError } from '@smp/platform';
import type { AdminRoute } from '../admin/admin-route.js';
import type { NoiseCalibrator } from '../compare/noise-calibrator.js';
import type { RouteTable } from '../routing/route-table.js';
import { listComparisons, summarizeComparisons } from './comparison-query.js';
import type { ComparisonStore } from './comparison-store.js';
import { parseSince } from './summary-format.js';

export interface ComparisonRoutesDeps {
  /** null: DATABASE_URL unset. */
  store: ComparisonStore | null;
  calibrator: NoiseCalibrator;
  routes: () => RouteTable;
  now: () => number;
}

const OUTCOMES = ['match', 'mismatch', 'not-compared'] as const;
type OutcomeFilter = (typeof OUTCOMES)[number];

function queryInt(q: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) throw new AppError('VALIDATION_FAILED', `${name}: expected an integer 1..${max}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function querySince(q: URLSearchParams, now: number): Date {
  try {
    return parseSince(q.get('since') ?? '1h', now);
  } catch (err) {
    throw new AppError('VALIDATION_FAILED', (err as Error).message);
  }
}

function queryOutcome(q: URLSearchParams): OutcomeFilter | undefined {
  const outcome = q.get('outcome');
  if (outcome === null || outcome === '') return undefined;
  if (!(OUTCOMES as readonly string[]).includes(outcome)) throw new AppError('VALIDATION_FAILED', `outcome: expected match, mismatch or not-compared, got ${JSON.stringify(outcome)}`);
  return outcome as OutcomeFilter;
}

function queryRoute(q: URLSearchParams): string | undefined {
  const r = q.get('route');
  return r === null || r === '' ? undefined : r;
}

export function comparisonRoutes(deps: ComparisonRoutesDeps): AdminRoute[] {
  const { store, calibrator, now } = deps;
  const pool = () => {
    if (store === null) throw new AppError('SERVICE_UNAVAILABLE', 'Comparison store not configured: set DATABASE_URL');
    return store.pool();
  };
  return [
    {
      method: 'GET',
      path: '/comparisons',
      handle: async (req) => {
        const outcome = queryOutcome(req.query);
        const since = querySince(req.query, now());
        const limit = queryInt(req.query, 'limit', 100, 1_000);
        const comparisons = await listComparisons(pool(), { route: queryRoute(req.query), since, limit, ...(outcome ? { outcome } : {}) });
        return { body: { since: since.toISOString(), count: comparisons.length, comparisons } };
      },
    },
    {
      method: 'GET',
      path: '/comparisons/summary',
      handle: async (req) => {
        const since = querySince(req.query, now());
        return { body: await summarizeComparisons(pool(), { route: queryRoute(req.query), since, now: new Date(now()) }) };
      },
    },
    {
      method: 'GET',
      path: '/comparisons/noise',
      handle: (req) => {
        const only = queryRoute(req.query);
        const ids = only ? [only] : calibrator.routeIds();
        return { body: { routes: ids.map((id) => calibrator.report(id, deps.routes().byId(id)?.compare.rules.paths)) } };
      },
    },
  ];
}
