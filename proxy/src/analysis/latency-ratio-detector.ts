/**
 * Latency criterion on the PAIRS (the same request to both sides): a sign-test change detector on
 * "ln(candidate / legacy) > ln(maxLatencyRatio)", i.e. the candidate took more than
 * maxLatencyRatio × legacy's time on this request (and at least minLatencyDifferenceMs, 5 ms, more:
 * the two sides are timed on different threads, whose lag under CPU pressure exceeds a 1 ms
 * upstream's time; requiring more only makes a slow pair rarer in control), scored per BLOCK of 4 consecutive latency
 * pairs: the block is slow when at least 3 of its 4 pairs are.
 *
 *   in control  median paired ratio ≤ maxLatencyRatio: P(slow pair) ≤ 1/2, so P(slow block) ≤
 *               P(Binomial(4, 1/2) ≥ 3) = 5/16 for independent pairs              p0 = 0.3125
 *   alarm for   P(slow block) ∈ {0.5, 0.74}   (0.74: a pair slow with probability 3/4, i.e. 2×
 *               slower under the bench's jitter)
 *
 * Why signs and not means: latencies are heavy-tailed and both sides spike 20× now and then; a
 * spike moves a mean (or a t statistic) arbitrarily far but counts as one slow pair here, so the
 * in-control probability is bounded by 1/2 whatever the jitter's shape (the sign test's
 * distribution-free property; Gibbons & Chakraborti, "Nonparametric Statistical Inference").
 * Why blocks: a GC pause or a descheduled thread slows every request in flight at once on the side
 * that thread times, so slow pairs come in runs that say nothing about the candidate (the
 * in-proxy A/A test saw 22 in a row; a per-pair CUSUM fails on ~22–31). A run of r slow pairs
 * moves the block statistic by ≈ r/4 × ln(0.74/0.3125) = 0.22·r: it takes ≈ 56 in a row to
 * alarm, while a real regression (slow pairs that keep coming) costs ≈ 14 blocks at most.
 *
 * Method: K = 2 parallel Bernoulli CUSUMs (Page 1954) on the blocks, threshold ln(2/α) (Ville's
 * inequality, Shin, Ramdas & Rinaldo 2023). Guarantee: ARL to a false rollback ≥ 1/α blocks
 * (100,000 blocks = 400,000 latency pairs at α = 1e-5) for any candidate whose paired ratio
 * median is ≤ maxLatencyRatio, pairs independent. In an A/A test the slow-pair rate is far below
 * 1/2 (0.12 in the bench: P(slow block) = 0.006), so false alarms there are astronomically rare.
 * Pairs where a side failed or has no latency are not observations (errors are judged apart).
 */
import { BernoulliCusum } from './bernoulli-cusum.js';
import { cusumEvidence, ExampleRing, type CriterionDetector, type CriterionEvidence, type JudgePair, type JudgeStatus } from './judge-evidence.js';
import type { JudgeSettings } from './judge-settings.js';

/** Latency below this counts as this much, so ratios stay finite. */
export const LATENCY_FLOOR_MS = 0.05;
/** Pairs per block, and slow pairs that make a block slow. */
export const BLOCK = 4;
const SLOW_IN_BLOCK = 3;
/** P(Binomial(4, 1/2) ≥ 3). */
const P0 = 5 / 16;
const ALTERNATIVES: readonly number[] = Object.freeze([0.5, 0.74]);

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
  /** Pairs and slow pairs in the block being filled. */
  private inBlock = 0;
  private slowInBlock = 0;

  constructor(private readonly settings: JudgeSettings) {
    this.cusum = new BernoulliCusum(ALTERNATIVES.length, settings.falseAlarmLevel);
    this.cusum.setRates(P0, ALTERNATIVES);
    this.examples = new ExampleRing(settings.examples);
    this.method = `sign-test bernoulli-cusum on blocks of ${BLOCK} pairs with ≥ ${SLOW_IN_BLOCK} candidate > ${settings.maxLatencyRatio} × legacy(p0=${P0}, p1∈{${ALTERNATIVES.join(',')}}, α=${settings.falseAlarmLevel})`;
  }

  /** Latency pairs seen (the scored ones are `cusum.trials`). */
  get observations(): number {
    return this.latencyPairs;
  }

  observe(pair: JudgePair, index: number, at: number): boolean {
    if (!latencyPair(pair, this.scratch)) return false;
    this.latencyPairs++;
    const { legacy, candidate } = this.scratch;
    if (candidate > this.settings.maxLatencyRatio * legacy && candidate - legacy >= this.settings.minLatencyDifferenceMs) {
      this.slowInBlock++;
      this.examples.add(pair.id);
    }
    if (++this.inBlock < BLOCK) return false;
    const slowBlock = this.slowInBlock >= SLOW_IN_BLOCK;
    this.inBlock = 0;
    this.slowInBlock = 0;
    return this.cusum.observe(slowBlock, index, at);
  }

  evidence(status: JudgeStatus, pairsSeen: number): CriterionEvidence {
    return cusumEvidence(this.name, status, this.method, `blocks of ${BLOCK} with ≥ ${SLOW_IN_BLOCK} pairs where candidate > ${this.settings.maxLatencyRatio} × legacy`, this.cusum.snapshot(), pairsSeen, this.observations, this.examples);
  }

  reset(): void {
    this.cusum.reset();
    this.examples.clear();
    this.latencyPairs = 0;
    this.inBlock = 0;
    this.slowInBlock = 0;
  }
}
