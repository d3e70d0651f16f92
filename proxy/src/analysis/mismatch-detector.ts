/**
 * Mismatch-rate criterion: a Bernoulli change detector on "this compared pair mismatched".
 *
 *   in control  p0 = inControlFraction × maxMismatchRate          (default 0.05 × 1% = 0.05%)
 *   alarm for   p1 ∈ {1, 4, 10} × maxMismatchRate                  (1%, 4%, 10%)
 *
 * Method: K = 3 parallel Bernoulli CUSUMs, Page (1954), Reynolds & Stoumbos (1999); threshold
 * ln(3/α) from Ville's inequality (Shin, Ramdas & Rinaldo 2023). Guarantee, as a number: while the
 * mismatch rate is ≤ p0, the average run length to a false rollback is ≥ 1/α compared pairs
 * (100,000 at the default α = 1e-5) whatever the dependence between pairs. Identical answers (A/A)
 * never mismatch, so they never roll back. A rate between p0 and the threshold is a grey zone: it
 * is rolled back eventually (at exactly 1%: after ≈ 600 pairs on average, h divided by the drift), by design.
 * Observations are the compared pairs where both sides answered without a 5xx: a failure is the
 * error-rate criterion's evidence (counting it here too would judge one failure twice, and blame
 * the candidate for legacy's failures).
 */
import { BernoulliCusum } from './bernoulli-cusum.js';
import { cusumEvidence, ExampleRing, type CriterionDetector, type CriterionEvidence, type JudgePair, type JudgeStatus } from './judge-evidence.js';
import type { JudgeSettings } from './judge-settings.js';

/** Alternatives as multiples of the threshold: a 4× and a 10× regression are caught fastest. */
export const RATE_ALTERNATIVES: readonly number[] = Object.freeze([1, 4, 10]);

export class MismatchDetector implements CriterionDetector {
  readonly name = 'mismatch-rate';
  private readonly cusum: BernoulliCusum;
  private readonly examples: ExampleRing;
  private readonly method: string;

  constructor(settings: JudgeSettings) {
    const m = settings.maxMismatchRate;
    const p0 = settings.inControlFraction * m;
    const p1 = RATE_ALTERNATIVES.map((g) => Math.min(0.99, g * m));
    this.cusum = new BernoulliCusum(p1.length, settings.falseAlarmLevel);
    this.cusum.setRates(p0, p1);
    this.examples = new ExampleRing(settings.examples);
    this.method = `bernoulli-cusum(p0=${p0}, p1∈{${p1.join(',')}}, α=${settings.falseAlarmLevel})`;
  }

  get observations(): number {
    return this.cusum.trials;
  }

  observe(pair: JudgePair, index: number, at: number): boolean {
    if (pair.outcome === 'not-compared' || pair.legacyError || pair.candidateError) return false;
    const mismatch = pair.outcome === 'mismatch';
    if (mismatch) this.examples.add(pair.id);
    return this.cusum.observe(mismatch, index, at);
  }

  evidence(status: JudgeStatus, pairsSeen: number): CriterionEvidence {
    return cusumEvidence(this.name, status, this.method, 'mismatches', this.cusum.snapshot(), pairsSeen, this.observations, this.examples);
  }

  reset(): void {
    this.cusum.reset();
    this.examples.clear();
  }
}
