/**
 * The judge decides, from a window of recent pairs of one route, whether the candidate is safe:
 * `pass`, `fail` or `inconclusive`. Like Kayenta's judge it is a chain of pure stages:
 *
 *   clean     split the window into compared pairs, answered pairs and latency pairs
 *   describe  counts, rates, latency quantiles of both sides
 *   classify  one criterion per question, each with its test, n and numbers:
 *               mismatch-rate  Wilson interval of mismatches / compared vs maxMismatchRate
 *               error-rate     Newcombe interval of (candidate − legacy) error rate vs maxErrorRateIncrease
 *               latency        on the PAIRS (same request to both sides): Wilcoxon signed-rank on
 *                              ln(candidate / legacy) − ln(maxLatencyRatio), or a paired bootstrap
 *                              interval of the p95 ratio
 *   score     any criterion fails -> fail; all pass -> pass; otherwise inconclusive
 *
 * A criterion fails only when its interval lies entirely beyond the threshold (or its test is
 * significant), and passes only when it lies entirely within; too few pairs is always
 * `inconclusive`, never `fail`. No clock, no randomness except the seeded bootstrap.
 */
import type { Outcome } from '../compare/comparator.js';
import { bootstrapQuantileRatio, newcombeDifference, quantile, wilcoxonSignedRank, wilsonInterval, type Interval } from './statistics.js';

/** What the judge needs from one recorded pair (legacy is always the control). */
export interface PairSample {
  readonly outcome: Outcome;
  /** Latency of each side, null when that side gave no answer. */
  readonly legacyLatencyMs: number | null;
  readonly candidateLatencyMs: number | null;
  /** 5xx or no answer. */
  readonly legacyError: boolean;
  readonly candidateError: boolean;
}

/** Per-route thresholds; every field has a default (DEFAULT_THRESHOLDS). */
export interface JudgeThresholds {
  /** Fewer pairs than this in the window: inconclusive. */
  readonly minPairs: number;
  /** Confidence of the intervals (two-sided). */
  readonly confidence: number;
  readonly maxMismatchRate: number;
  /** Allowed excess of the candidate's error rate over legacy's (absolute, e.g. 0.01 = 1 point). */
  readonly maxErrorRateIncrease: number;
  readonly latencyTest: 'wilcoxon' | 'bootstrap-p95';
  /** The candidate may be this many times slower than legacy. */
  readonly maxLatencyRatio: number;
  /** One-sided significance of the latency test. */
  readonly latencyAlpha: number;
  readonly bootstrapIterations: number;
  readonly seed: number;
}

export const DEFAULT_THRESHOLDS: JudgeThresholds = Object.freeze({
  minPairs: 50,
  confidence: 0.95,
  maxMismatchRate: 0.01,
  maxErrorRateIncrease: 0.01,
  latencyTest: 'wilcoxon',
  maxLatencyRatio: 1.5,
  latencyAlpha: 0.01,
  bootstrapIterations: 400,
  seed: 1,
});

export type Verdict = 'pass' | 'fail' | 'inconclusive';

/** The result of one question, with the evidence a human needs to check it. */
export interface Criterion {
  readonly name: 'mismatch-rate' | 'error-rate' | 'latency';
  readonly result: Verdict;
  readonly test: string;
  readonly n: number;
  /** One readable line: what was measured against what. */
  readonly summary: string;
  readonly numbers: Readonly<Record<string, number>>;
}

/** A window's verdict and its evidence. Frozen. */
export interface Judgement {
  readonly verdict: Verdict;
  readonly pairs: number;
  readonly criteria: readonly Criterion[];
  /** Why the verdict is what it is, one line per failing or undecided criterion. */
  readonly reasons: readonly string[];
  readonly description: WindowDescription;
}

/** Stage 1 output. */
export interface CleanWindow {
  readonly all: readonly PairSample[];
  /** Pairs whose bodies could be compared (outcome match or mismatch). */
  readonly compared: readonly PairSample[];
  /** Pairs where both sides answered without a 5xx: the latency pairs. */
  readonly latencyPairs: readonly { readonly legacy: number; readonly candidate: number }[];
}

/** Stage 2 output. */
export interface WindowDescription {
  readonly pairs: number;
  readonly compared: number;
  readonly mismatches: number;
  readonly notCompared: number;
  readonly legacyErrors: number;
  readonly candidateErrors: number;
  readonly latencyPairs: number;
  readonly legacyP50: number | null;
  readonly legacyP95: number | null;
  readonly candidateP50: number | null;
  readonly candidateP95: number | null;
}

/** Latency below this is treated as this much, so ratios stay finite. */
const LATENCY_FLOOR_MS = 0.05;

export function cleanWindow(samples: readonly PairSample[]): CleanWindow {
  const compared = samples.filter((s) => s.outcome !== 'not-compared');
  const latencyPairs = [];
  for (const s of samples) {
    if (s.legacyError || s.candidateError || s.legacyLatencyMs === null || s.candidateLatencyMs === null) continue;
    latencyPairs.push({ legacy: Math.max(LATENCY_FLOOR_MS, s.legacyLatencyMs), candidate: Math.max(LATENCY_FLOOR_MS, s.candidateLatencyMs) });
  }
  return { all: samples, compared, latencyPairs };
}

export function describeWindow(w: CleanWindow): WindowDescription {
  const legacy = w.latencyPairs.map((p) => p.legacy);
  const candidate = w.latencyPairs.map((p) => p.candidate);
  const q = (xs: number[], p: number) => (xs.length ? round(quantile(xs, p)) : null);
  return {
    pairs: w.all.length,
    compared: w.compared.length,
    mismatches: w.compared.filter((s) => s.outcome === 'mismatch').length,
    notCompared: w.all.length - w.compared.length,
    legacyErrors: w.all.filter((s) => s.legacyError).length,
    candidateErrors: w.all.filter((s) => s.candidateError).length,
    latencyPairs: w.latencyPairs.length,
    legacyP50: q(legacy, 0.5),
    legacyP95: q(legacy, 0.95),
    candidateP50: q(candidate, 0.5),
    candidateP95: q(candidate, 0.95),
  };
}

function round(x: number, digits = 4): number {
  return Number.isFinite(x) ? Number(x.toPrecision(digits)) : x;
}

function pct(x: number): string {
  return `${round(x * 100, 3)}%`;
}

/** Interval entirely above the limit -> fail; entirely at or below -> pass; straddling -> inconclusive. */
function against(low: number, high: number, limit: number): Verdict {
  if (low > limit) return 'fail';
  if (high <= limit) return 'pass';
  return 'inconclusive';
}

/** A criterion decided by an interval against a limit; too few observations is inconclusive. */
function intervalCriterion(
  name: Criterion['name'],
  test: string,
  n: number,
  ci: Interval,
  limit: number,
  t: JudgeThresholds,
  summary: string,
  numbers: Record<string, number>,
): Criterion {
  const enough = n >= t.minPairs;
  return {
    name,
    result: enough ? against(ci.low, ci.high, limit) : 'inconclusive',
    test,
    n,
    summary: `${summary}${enough ? '' : ` (fewer than ${t.minPairs} pairs)`}`,
    numbers: { ...numbers, estimate: ci.estimate, low: ci.low, high: ci.high, threshold: limit },
  };
}

function mismatchCriterion(d: WindowDescription, t: JudgeThresholds): Criterion {
  const ci = wilsonInterval(d.mismatches, d.compared, t.confidence);
  const summary = `mismatch rate ${pct(ci.estimate)} (${d.mismatches}/${d.compared}), ${t.confidence * 100}% CI [${pct(ci.low)}, ${pct(ci.high)}] vs max ${pct(t.maxMismatchRate)}`;
  return intervalCriterion('mismatch-rate', `wilson-interval@${t.confidence}`, d.compared, ci, t.maxMismatchRate, t, summary, { mismatches: d.mismatches, compared: d.compared });
}

function errorCriterion(d: WindowDescription, t: JudgeThresholds): Criterion {
  const ci = newcombeDifference(d.candidateErrors, d.pairs, d.legacyErrors, d.pairs, t.confidence);
  const rate = (k: number) => pct(d.pairs ? k / d.pairs : 0);
  const summary = `candidate error rate ${rate(d.candidateErrors)} vs legacy ${rate(d.legacyErrors)}, difference CI [${pct(ci.low)}, ${pct(ci.high)}] vs max +${pct(t.maxErrorRateIncrease)}`;
  return intervalCriterion('error-rate', `newcombe-difference@${t.confidence}`, d.pairs, ci, t.maxErrorRateIncrease, t, summary, { candidateErrors: d.candidateErrors, legacyErrors: d.legacyErrors, pairs: d.pairs });
}

function latencyCriterion(w: CleanWindow, d: WindowDescription, t: JudgeThresholds): Criterion {
  const n = w.latencyPairs.length;
  const enough = n >= t.minPairs;
  const p95s = `p95 legacy ${d.legacyP95 ?? '-'} ms, candidate ${d.candidateP95 ?? '-'} ms`;
  if (t.latencyTest === 'bootstrap-p95') {
    const ci = bootstrapQuantileRatio(
      w.latencyPairs.map((p) => p.legacy),
      w.latencyPairs.map((p) => p.candidate),
      { q: 0.95, iterations: t.bootstrapIterations, seed: t.seed, confidence: 1 - 2 * t.latencyAlpha },
    );
    const result = enough ? against(ci.low, ci.high, t.maxLatencyRatio) : 'inconclusive';
    return {
      name: 'latency',
      result,
      test: `paired-bootstrap-p95-ratio(B=${t.bootstrapIterations},seed=${t.seed})`,
      n,
      summary: `p95 ratio candidate/legacy ${round(ci.estimate)}, ${round((1 - 2 * t.latencyAlpha) * 100)}% CI [${round(ci.low)}, ${round(ci.high)}] vs max ${t.maxLatencyRatio}; ${p95s}${enough ? '' : ` (fewer than ${t.minPairs} pairs)`}`,
      numbers: { ratio: ci.estimate, low: ci.low, high: ci.high, threshold: t.maxLatencyRatio, pairs: n },
    };
  }
  const logRatios = w.latencyPairs.map((p) => Math.log(p.candidate / p.legacy));
  const shift = Math.log(t.maxLatencyRatio);
  const test = wilcoxonSignedRank(logRatios.map((x) => x - shift));
  const medianRatio = n ? Math.exp(quantile(logRatios, 0.5)) : NaN;
  let result: Verdict = 'inconclusive';
  if (enough && test.pGreater < t.latencyAlpha) result = 'fail';
  else if (enough && test.pLess < t.latencyAlpha) result = 'pass';
  return {
    name: 'latency',
    result,
    test: 'wilcoxon-signed-rank(normal approx, tie+continuity corrected)',
    n,
    summary: `median paired ratio candidate/legacy ${round(medianRatio)} vs max ${t.maxLatencyRatio}: p(slower than max) = ${round(test.pGreater, 3)}, p(within max) = ${round(test.pLess, 3)} at alpha ${t.latencyAlpha}; ${p95s}${enough ? '' : ` (fewer than ${t.minPairs} pairs)`}`,
    numbers: { medianRatio, z: test.z, pGreater: test.pGreater, pLess: test.pLess, alpha: t.latencyAlpha, threshold: t.maxLatencyRatio, pairs: n, zeros: test.zeros },
  };
}

export function classifyWindow(w: CleanWindow, d: WindowDescription, t: JudgeThresholds): Criterion[] {
  return [mismatchCriterion(d, t), errorCriterion(d, t), latencyCriterion(w, d, t)].map((c) => Object.freeze({ ...c, numbers: Object.freeze(c.numbers) }));
}

export function scoreWindow(criteria: readonly Criterion[], d: WindowDescription, t: JudgeThresholds): { verdict: Verdict; reasons: string[] } {
  if (d.pairs < t.minPairs) return { verdict: 'inconclusive', reasons: [`${d.pairs} pairs in the window, at least ${t.minPairs} needed`] };
  const failing = criteria.filter((c) => c.result === 'fail');
  if (failing.length > 0) return { verdict: 'fail', reasons: failing.map((c) => `${c.name}: ${c.summary}`) };
  const open = criteria.filter((c) => c.result !== 'pass');
  if (open.length === 0) return { verdict: 'pass', reasons: [] };
  return { verdict: 'inconclusive', reasons: open.map((c) => `${c.name}: ${c.summary}`) };
}

/** Judge one window of pairs under `thresholds`. Pure. */
export function judge(samples: readonly PairSample[], thresholds: JudgeThresholds = DEFAULT_THRESHOLDS): Judgement {
  const clean = cleanWindow(samples);
  const description = Object.freeze(describeWindow(clean));
  const criteria = Object.freeze(classifyWindow(clean, description, thresholds));
  const { verdict, reasons } = scoreWindow(criteria, description, thresholds);
  return Object.freeze({ verdict, pairs: description.pairs, criteria, reasons: Object.freeze(reasons), description });
}
