/**
 * What a rollout plan asks of the judge, per route: its verdict on the pairs taken since the plan
 * last moved, and a way to start that count afresh. The plan depends on this interface only.
 *
 * Over the sequential judge (analysis/sequential-judge.ts, one per route in the rollback
 * controller): `verdict` is the judge's status and evidence since its last reset (undecided before
 * its warm-up, pass, or fail), `resetEvidence` resets it at every step. Its false-alarm bound holds
 * under continuous monitoring, so the plan may read it every turn. A failing judge rolls the route
 * back at once in the controller; the plan then reads the rollback's decision (`lastRollback`).
 *
 * Split by variant: pairs whose candidate answered with a flag variant (a shadowed model version)
 * also go to a sequential judge of their own per `<route>#<variant>` (`VariantJudges`, shown on
 * `GET /status` as `variants`), so a new model version has its own verdict before any client sees it.
 */
import type { JudgeReading } from '@smp/flags/rollout-state';
import type { JudgePair } from '../analysis/judge-evidence.js';
import type { JudgeSettings } from '../analysis/judge-settings.js';
import type { RollbackController } from '../analysis/rollback-controller.js';
import { SequentialJudge } from '../analysis/sequential-judge.js';
import type { RollbackStore } from '../state/rollback-store.js';

export interface JudgeView {
  verdict(routeId: string): JudgeReading;
  resetEvidence(routeId: string): void;
}

export function sequentialJudgeView(options: { controller: RollbackController; store: RollbackStore }): JudgeView {
  return {
    verdict(routeId) {
      const a = options.controller.status().find((s) => s.routeId === routeId);
      if (options.store.isRolledBack(routeId) && a?.lastRollback) {
        const d = a.lastRollback.decision;
        return { state: 'fail', pairs: d.pairs, evidence: d };
      }
      if (!a?.decision) return { state: 'undecided', pairs: 0, evidence: null };
      return { state: a.decision.status, pairs: a.decision.pairs, evidence: a.decision };
    },
    resetEvidence: (routeId) => options.controller.resetEvidence(routeId),
  };
}

/** A sequential judge per route variant (never rolls back: the route's own judge does). */
export class VariantJudges {
  private readonly judges = new Map<string, SequentialJudge>();

  constructor(private readonly settings: (routeId: string) => JudgeSettings | undefined) {}

  observe(routeId: string, variant: string, pair: JudgePair, at: number): void {
    const key = `${routeId}#${variant}`;
    let judge = this.judges.get(key);
    if (judge === undefined) {
      const settings = this.settings(routeId);
      if (settings === undefined) return;
      judge = new SequentialJudge(settings);
      this.judges.set(key, judge);
    }
    judge.observe(pair, at);
  }

  /** `{ "ml-predict#v3": { status, pairs, reason } }` */
  status(): Record<string, { status: string; pairs: number; reason: string }> {
    const out: Record<string, { status: string; pairs: number; reason: string }> = {};
    for (const [key, judge] of this.judges) {
      const d = judge.decision();
      out[key] = { status: d.status, pairs: d.pairs, reason: d.reason };
    }
    return out;
  }
}
