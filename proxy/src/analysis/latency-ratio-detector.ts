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
 */
import { BernoulliCusum } from './bernoulli-cusum.js';
import { cusumEvidence, ExampleRing, type CriterionDetector, type CriterionEvidence, type JudgePair, type JudgeStatus } from './judge-evidence.js';
import type { JudgeSettings } from './judge-settings.js';

/** Latency below this counts as this much, so ratios stay finite. */
export const LATENCY_FLOOR_MS = 0.05;
const P0 = 0.5;
const ALTERNATIVES: readonly number[] = Object.freeze([0.6, 0.75, 0.9]);

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

  constructor(private readonly settings: JudgeSettings) {
    this.cusum = new BernoulliCusum(ALTERNATIVES.length, settings.falseAlarmLevel);
    this.cusum.setRates(P0, ALTERNATIVES);
    this.examples = new ExampleRing(settings.examples);
    this.method = `sign-test bernoulli-cusum on candidate > ${settings.maxLatencyRatio} × legacy(p0=${P0}, p1∈{${ALTERNATIVES.join(',')}}, α=${settings.falseAlarmLevel})`;
  }

  get observations(): number {
    return this.cusum.trials;
  }

  observe(pair: JudgePair, index: number, at: number): boolean {
    if (!latencyPair(pair, this.scratch)) return false;
    const slow = this.scratch.candidate > this.settings.maxLatencyRatio * this.scratch.legacy;
    if (slow) this.examples.add(pair.id);
    return this.cusum.observe(slow, index, at);
  }

  evidence(status: JudgeStatus, pairsSeen: number): CriterionEvidence {
    return cusumEvidence(this.name, status, this.method, `pairs with candidate > ${this.settings.maxLatencyRatio} × legacy`, this.cusum.snapshot(), pairsSeen, this.observations, this.examples);
  }

  reset(): void {
    this.cusum.reset();
    this.examples.clear();
  }
}
