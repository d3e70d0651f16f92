/**
 * Latency criterion on the PAIRS (the same request to both sides): a sign-test change detector on
 * the event "ln(candidate / legacy) > ln(maxLatencyRatio)", i.e. the candidate took more than
 * maxLatencyRatio × legacy's time on this request.
 *
 *   in control  median paired ratio ≤ maxLatencyRatio  ⇔  P(event) ≤ 1/2        p0 = 0.5
 *   alarm for   P(event) ∈ {0.6, 0.75, 0.9}
 *
 * Why signs and not means: latencies are heavy-tailed and both sides spike 20× now and then; a
 * spike moves a mean (or a t statistic) arbitrarily far but counts as one event here, so the
 * in-control probability is exactly bounded by 1/2 whatever the jitter's shape (the sign test's
 * distribution-free property, e.g. Gibbons & Chakraborti, "Nonparametric Statistical Inference").
 * In an A/A test the event rate is far below 1/2 (measured 0.18 in the bench), so false alarms
 * there are astronomically rare; the stated bound holds even for a candidate exactly at the limit.
 *
 * Method: K = 3 parallel Bernoulli CUSUMs (Page 1954) with threshold ln(3/α) (Ville's inequality,
 * Shin, Ramdas & Rinaldo 2023). Guarantee: ARL to a false rollback ≥ 1/α latency pairs (100,000 at
 * α = 1e-5) for any candidate whose median paired ratio is ≤ maxLatencyRatio.
 * Pairs where a side failed or has no latency are not observations (errors are judged apart).
 *
 * Stalls: a GC pause or a descheduled thread slows every request in flight at once, on the side
 * the stalled thread times, so slow pairs come in runs that are not a property of the candidate
 * (the in-proxy A/A test saw 22 in a row). Only the first RUN_CAP (8) slow pairs of a run are
 * scored; the rest of the run is skipped until a pair that is not slow. Skipping decided from past
 * pairs only (optional skipping, Doob) keeps the guarantee; a 2× slower candidate loses the
 * ≈ 0.75^8 = 10% of its slow pairs that sit deep in runs.
 */
import { BernoulliCusum } from './bernoulli-cusum.js';
import { cusumEvidence, ExampleRing, type CriterionDetector, type CriterionEvidence, type JudgePair, type JudgeStatus } from './judge-evidence.js';
import type { JudgeSettings } from './judge-settings.js';

/** Latency below this counts as this much, so ratios stay finite. */
export const LATENCY_FLOOR_MS = 0.05;
const P0 = 0.5;
const ALTERNATIVES: readonly number[] = Object.freeze([0.6, 0.75, 0.9]);
/** Slow pairs in a row scored at most (see stalls above). */
export const RUN_CAP = 8;

/** The pair's latencies (floored), or false when it is not a latency pair. Writes into `out`. */
export function latencyPair(pair: JudgePair, out: { legacy: number; candidate: number }): boolean {
  if (pair.legacyError || pair.candidateError || pair.legacyLatencyMs === null || pair.candidateLatencyMs === null) return false;
  out.legacy = Math.max(LATENCY_FLOOR_MS, pair.legacyLatencyMs);
  out.candidate = Math.max(LATENCY_FLOOR_MS, pair.candidateLatencyMs);
  return true;
}

export class LatencyRatioDetector implements CriterionDetector {
  readonly name = 'latency';
  private readonly cusum: BernoulliCusum;
  private readonly examples: ExampleRing;
  private readonly method: string;
  private readonly scratch = { legacy: 0, candidate: 0 };
  private latencyPairs = 0;
  private run = 0;

  constructor(private readonly settings: JudgeSettings) {
    this.cusum = new BernoulliCusum(ALTERNATIVES.length, settings.falseAlarmLevel);
    this.cusum.setRates(P0, ALTERNATIVES);
    this.examples = new ExampleRing(settings.examples);
    this.method = `sign-test bernoulli-cusum on candidate > ${settings.maxLatencyRatio} × legacy(p0=${P0}, p1∈{${ALTERNATIVES.join(',')}}, α=${settings.falseAlarmLevel})`;
  }

  /** Latency pairs seen (the scored ones are `cusum.trials`). */
  get observations(): number {
    return this.latencyPairs;
  }

  observe(pair: JudgePair, index: number, at: number): boolean {
    if (!latencyPair(pair, this.scratch)) return false;
    this.latencyPairs++;
    const slow = this.scratch.candidate > this.settings.maxLatencyRatio * this.scratch.legacy;
    if (!slow) this.run = 0;
    else if (++this.run > RUN_CAP) return false;
    if (slow) this.examples.add(pair.id);
    return this.cusum.observe(slow, index, at);
  }

  evidence(status: JudgeStatus, pairsSeen: number): CriterionEvidence {
    return cusumEvidence(this.name, status, this.method, `pairs with candidate > ${this.settings.maxLatencyRatio} × legacy`, this.cusum.snapshot(), pairsSeen, this.observations, this.examples);
  }

  reset(): void {
    this.cusum.reset();
    this.examples.clear();
    this.latencyPairs = 0;
    this.run = 0;
  }
}
