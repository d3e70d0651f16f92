/**
 * Tail-latency criterion: catches a p99 regression where only 1–2% of the candidate's answers are
 * slow, which the median criterion (latency-ratio-detector.ts) cannot see. A latency pair is a
 * TAIL pair when one side took tailLatencyRatio (default 10) × the other's time, and at least
 * minLatencyDifferenceMs (5 ms) more (timer noise between threads, see latency-ratio-detector.ts). Both sides have
 * such hiccups (GC, a lost packet); what matters is who has them more often. Among tail pairs:
 *
 *   event       the candidate is the slow side
 *   in control  its share ≤ inControlTailShare (default 2/3: at most twice legacy's hiccups)  p0
 *   alarm for   share ∈ {0.8, 0.9, 0.97}
 *
 * This is McNemar's idea (compare only the discordant pairs) turned sequential: the share is 1/2
 * when both sides hiccup alike, whatever the hiccup rate, so no rate has to be assumed.
 * Method: K = 3 parallel Bernoulli CUSUMs (Page 1954), threshold ln(3/α) (Ville's inequality,
 * Shin, Ramdas & Rinaldo 2023). Guarantee: ARL to a false rollback ≥ 1/α tail pairs (100,000 at
 * α = 1e-5; with 1% tail pairs that is ≥ 10,000,000 pairs) while the candidate's share ≤ p0.
 *
 * A stall (GC pause, descheduled thread) makes every request in flight a tail pair on the side
 * the stalled thread times: a tail pair right after another one of the same side is not scored
 * (optional skipping decided from the past keeps the guarantee). Real tail regressions are rare
 * per pair (2% at 20× loses ≈ 2% of its tail pairs).
 */
import { BernoulliCusum } from './bernoulli-cusum.js';
import { cusumEvidence, ExampleRing, type CriterionDetector, type CriterionEvidence, type JudgePair, type JudgeStatus } from './judge-evidence.js';
import type { JudgeSettings } from './judge-settings.js';
import { latencyPair } from './latency-ratio-detector.js';

const ALTERNATIVES: readonly number[] = Object.freeze([0.8, 0.9, 0.97]);

export class TailLatencyDetector implements CriterionDetector {
  readonly name = 'tail-latency';
  private readonly cusum: BernoulliCusum;
  private readonly examples: ExampleRing;
  private readonly method: string;
  private readonly scratch = { legacy: 0, candidate: 0 };
  private latencyPairs = 0;
  /** The previous latency pair was a candidate-slow tail pair. */
  private previousCandidateTail = false;

  constructor(private readonly settings: JudgeSettings) {
    const p1 = ALTERNATIVES.map((q) => Math.max(q, settings.inControlTailShare + (1 - settings.inControlTailShare) / 2));
    this.cusum = new BernoulliCusum(p1.length, settings.falseAlarmLevel);
    this.cusum.setRates(settings.inControlTailShare, p1);
    this.examples = new ExampleRing(settings.examples);
    this.method = `bernoulli-cusum on the slow side of ${settings.tailLatencyRatio}× tail pairs(p0=${round(settings.inControlTailShare)}, p1∈{${p1.map(round).join(',')}}, α=${settings.falseAlarmLevel})`;
  }

  /** Latency pairs seen (tail pairs are a small part of them). */
  get observations(): number {
    return this.latencyPairs;
  }

  observe(pair: JudgePair, index: number, at: number): boolean {
    if (!latencyPair(pair, this.scratch)) return false;
    this.latencyPairs++;
    const { legacy, candidate } = this.scratch;
    const ratio = this.settings.tailLatencyRatio;
    const slack = this.settings.minLatencyDifferenceMs;
    if (candidate >= ratio * legacy && candidate - legacy >= slack) {
      if (this.previousCandidateTail) return false;
      this.previousCandidateTail = true;
      this.examples.add(pair.id);
      return this.cusum.observe(true, index, at);
    }
    this.previousCandidateTail = false;
    if (legacy >= ratio * candidate && legacy - candidate >= slack) return this.cusum.observe(false, index, at);
    return false;
  }

  evidence(status: JudgeStatus, pairsSeen: number): CriterionEvidence {
    return cusumEvidence(this.name, status, this.method, 'tail pairs where the candidate was the slow side', this.cusum.snapshot(), pairsSeen, this.observations, this.examples);
  }

  reset(): void {
    this.cusum.reset();
    this.examples.clear();
    this.latencyPairs = 0;
    this.previousCandidateTail = false;
  }
}

function round(x: number): number {
  return Number(x.toPrecision(3));
}
