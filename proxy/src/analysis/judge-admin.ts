/**
 * The judge on the admin port, beside the judge:
 *
 *   POST /routes/:id/resume   {"reason"?}   -> {"route","state":"resumed","at","wasRolledBack"}; 404 for an unknown route
 *   GET /status               adds `judge`: each route's verdict, evidence, consecutive failures,
 *                             rollback state and whether its candidate may get traffic
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
  /** The judge's cadence, shown as is. */
  intervalMs: number;
  windowMs: number;
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
      intervalMs: deps.intervalMs,
      windowMs: deps.windowMs,
      state: deps.store.health(),
      routes: deps.controller.status().map((s) => ({
        route: s.routeId,
        verdict: s.verdict,
        judgedAt: s.judgedAt === null ? null : iso(s.judgedAt),
        consecutiveFailures: s.consecutiveFailures,
        failuresToRollback: s.failuresToRollback,
        evidence: s.judgement ? { pairs: s.judgement.pairs, reasons: s.judgement.reasons, criteria: s.judgement.criteria, window: s.judgement.description } : null,
        rollback: s.rollback ? { state: s.rollback.state, at: iso(s.rollback.at), by: s.rollback.by, reason: s.rollback.reason } : null,
        candidateAllowed: deps.gate.isAllowed(s.routeId),
      })),
    },
  });
}
