/**
 * Mismatch-rate criterion: a Bernoulli change detector on "this compared pair mismatched".
 *
 *   in control  p0 = mismatchInControlFraction × maxMismatchRate     (default 0.5 × 1% = 0.5%)
 *   alarm for   p1 ∈ {1.5, 4, 10} × maxMismatchRate                  (1.5%, 4%, 10%)
 *
 * Method: K = 3 parallel Bernoulli CUSUMs, Page (1954), Reynolds & Stoumbos (1999); threshold
 * h = ln(3/α) from Ville's inequality (Shin, Ramdas & Rinaldo 2023). Guarantee, as a number: while
 * the mismatch rate is ≤ p0 (half the threshold), the average run length to a false rollback is
 * ≥ 1/α compared pairs (100,000 at the default α = 1e-5) whatever the dependence between pairs.
 * Identical answers (A/A) never mismatch, so they never roll back.
 *
 * Why these rates: the smallest alternative sets the effective threshold p* (the rate where its
 * drift turns positive, `effectiveThreshold`): p*(0.5%, 1.5%) = 0.91% = 0.91 × maxMismatchRate, so
 * a candidate under maxMismatchRate is not rolled back on drift, only on a run of luck that the
 * in-control bound at half the threshold keeps rare (bench, seeded, 50 runs of 100,000 pairs each:
 * at 0.5 × the threshold none rolled back; at 1× all, median 5,744 pairs; at 2× median 1,040).
 * The 4× and 10× alternatives catch big regressions fast (10% flips: p95 117 pairs). An in-control level at 0.5 × and not closer to the
 * threshold because every pair between p0 and the threshold shortens the run length to a false
 * alarm exponentially, and closer alternatives would slow the 10% case.
 * Observations are the compared pairs where both sides answered without a 5xx: a failure is the
 * error-rate criterion's evidence (counting it here too would judge one failure twice, and blame
 * the candidate for legacy's failures).
 */
import { BernoulliCusum } from './bernoulli-cusum.js';
import { cusumEvidence, ExampleRing, type CriterionDetector, type CriterionEvidence, type JudgePair, type JudgeStatus } from './judge-evidence.js';
import type { JudgeSettings } from './judge-settings.js';

/** Alternatives as multiples of maxMismatchRate: 1.5× sets p* (0.91×), 4× and 10× are caught fastest. */
export const MISMATCH_ALTERNATIVES: readonly number[] = Object.freeze([1.5, 4, 10]);

/** The in-control rate and the alternatives the detector uses for these settings. */
export function mismatchRates(settings: JudgeSettings): { readonly p0: number; readonly p1: readonly number[] } {
  const m = settings.maxMismatchRate;
  return { p0: settings.mismatchInControlFraction * m, p1: MISMATCH_ALTERNATIVES.map((g) => Math.min(0.99, g * m)) };
}

export class MismatchDetector implements CriterionDetector {
  readonly name = 'mismatch-rate';
  private readonly cusum: BernoulliCusum;
  private readonly examples: ExampleRing;
  private readonly method: string;

  constructor(settings: JudgeSettings) {
    const { p0, p1 } = mismatchRates(settings);
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
