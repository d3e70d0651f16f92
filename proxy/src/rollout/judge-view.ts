/**
 * What a rollout plan asks of the judge, per route: its verdict on the pairs taken since the plan
 * last moved, and a way to start that count afresh. The plan depends on this interface only, so
 * the judge behind it can change (today the windowed judge of analysis/judge.ts; the sequential
 * judge replaces it) without touching the plan.
 *
 * Over the windowed judge: `resetEvidence` clears the route's window (PairWindows.clear) and
 * remembers how many pairs had been added; `verdict` judges the window (the pairs of the last
 * JUDGE_WINDOW_MS, all taken at this step since the reset) and counts the pairs added since.
 * Guarantee: that of one windowed judgement (each criterion at JUDGE_CONFIDENCE), not a sequential
 * one: a plan reading the judge every turn looks many times, so its false-pass rate over a step
 * is higher than 1 − JUDGE_CONFIDENCE (the sequential judge removes this).
 *
 * Split by variant: a pair whose candidate answered with a flag variant (a shadowed model version)
 * is also kept in the window `<route>#<variant>`, judged apart (`variantJudgements`, `GET /status`
 * `variants`), so a new model version has its own verdict before any client sees it.
 */
import type { JudgeReading } from '@smp/flags/rollout-state';
import { judge, type JudgeThresholds } from '../analysis/judge.js';
import type { PairWindows } from '../analysis/pair-window.js';

export interface JudgeView {
  verdict(routeId: string): JudgeReading;
  resetEvidence(routeId: string): void;
}

export interface WindowJudgeViewOptions {
  windows: PairWindows;
  /** The route's thresholds (route table + JUDGE_* defaults); undefined for a route without a candidate. */
  thresholds: (routeId: string) => JudgeThresholds | undefined;
  now: () => number;
}

export function windowJudgeView(options: WindowJudgeViewOptions): JudgeView {
  const baseline = new Map<string, number>();
  return {
    verdict(routeId) {
      const thresholds = options.thresholds(routeId);
      const pairs = options.windows.added(routeId) - (baseline.get(routeId) ?? 0);
      if (thresholds === undefined) return { state: 'undecided', pairs, evidence: { reason: 'the route has no candidate to judge' } };
      const j = judge(options.windows.snapshot(routeId, options.now()), thresholds);
      return {
        state: j.verdict === 'inconclusive' ? 'undecided' : j.verdict,
        pairs,
        evidence: { judge: 'window', verdict: j.verdict, windowPairs: j.pairs, reasons: j.reasons, criteria: j.criteria, window: j.description },
      };
    },
    resetEvidence(routeId) {
      options.windows.clear(routeId);
      baseline.set(routeId, options.windows.added(routeId));
    },
  };
}

/** The judge window of one route's variant. */
export function variantWindow(routeId: string, variant: string): string {
  return `${routeId}#${variant}`;
}

/** Each route variant's verdict on its own pairs: `{ "ml-predict#v3": { verdict, pairs, reasons } }`. */
export function variantJudgements(options: WindowJudgeViewOptions): Record<string, { verdict: string; pairs: number; reasons: readonly string[] }> {
  const out: Record<string, { verdict: string; pairs: number; reasons: readonly string[] }> = {};
  for (const key of options.windows.routeIds()) {
    const hash = key.indexOf('#');
    if (hash < 0) continue;
    const thresholds = options.thresholds(key.slice(0, hash));
    if (thresholds === undefined) continue;
    const j = judge(options.windows.snapshot(key, options.now()), thresholds);
    out[key] = { verdict: j.verdict, pairs: j.pairs, reasons: j.reasons };
  }
  return out;
}
