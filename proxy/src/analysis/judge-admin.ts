/**
 * The judge on the admin port, beside the judge:
 *
 *   POST /routes/:id/resume   {"reason"?}   -> {"route","state":"resumed","at","wasRolledBack"}; 404 for an unknown route
 *   GET /status               adds `judge`: each route's sequential decision (status, pairs seen,
 *                             every criterion's evidence), the evidence of this replica's last
 *                             rollback, the rollback state, whether its candidate may get traffic and
 *                             the pairs it took no latency evidence from (`unscoredPairs`: warmup,
 *                             lag, saturated, timeout)
 */
import { AppError } from '@smp/platform';
import type { AdminRoute, StatusSection } from '../admin/admin-route.js';
import type { CandidateGate } from '../exchange.js';
import { UNMATCHED, type RouteTable } from '../routing/route-table.js';
import type { RollbackStore } from '../state/rollback-store.js';
import type { RollbackController } from './rollback-controller.js';

export interface JudgeAdminDeps {
  routes: () => RouteTable;
  store: RollbackStore;
  controller: RollbackController;
  gate: CandidateGate;
  replicaId: string;
  /** Pairs whose latencies (or timeouts) were not evidence, by reason (shadow-worker/timing-quality.ts). */
  unscored?: (route: string) => Readonly<Record<string, number>>;
}

export function resumeRoute(deps: Pick<JudgeAdminDeps, 'routes' | 'store' | 'controller'>): AdminRoute {
  return {
    method: 'POST',
    path: '/routes/:id/resume',
    handle: async (req) => {
      const id = req.params.id;
      if (id === UNMATCHED || deps.routes().byId(id) === undefined) throw new AppError('NOT_FOUND', `Route '${id}' not found`);
      const given = (req.body as { reason?: unknown } | undefined)?.reason;
      const reason = typeof given === 'string' && given.trim() !== '' ? given.trim().slice(0, 500) : `POST /routes/${id}/resume`;
      const wasRolledBack = deps.store.isRolledBack(id);
      const entry = await deps.controller.resume(id, 'admin', reason);
      return { body: { route: id, state: entry.state, at: new Date(entry.at).toISOString(), wasRolledBack } };
    },
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function judgeStatusSection(deps: JudgeAdminDeps): StatusSection {
  return () => ({
    judge: {
      replica: deps.replicaId,
      method: 'sequential: Bernoulli CUSUM change detectors per criterion, decided on every pair',
      state: deps.store.health(),
      routes: deps.controller.status().map((s) => ({
        route: s.routeId,
        status: s.decision?.status ?? 'undecided',
        pairs: s.decision?.pairs ?? 0,
        reason: s.decision?.reason ?? 'no pairs yet',
        evidence: s.decision?.criteria ?? [],
        lastRollback: s.lastRollback ? { at: iso(s.lastRollback.at), reason: s.lastRollback.decision.reason, evidence: s.lastRollback.decision.failed } : null,
        rollback: s.rollback ? { state: s.rollback.state, at: iso(s.rollback.at), by: s.rollback.by, reason: s.rollback.reason } : null,
        candidateAllowed: deps.gate.isAllowed(s.routeId),
        unscoredPairs: deps.unscored?.(s.routeId) ?? {},
      })),
    },
  });
}
