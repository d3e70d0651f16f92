/**
 * Error-rate criterion (candidate − legacy): a Bernoulli change detector on "the candidate failed
 * (5xx or no answer) on a request legacy answered". On the same request, P(candidate fails) −
 * P(legacy fails) = P(candidate-only) − P(legacy-only), and failures of both (a bad request) cancel:
 *
 *   r̂          legacy-only failure rate so far, (legacy-only + 1) / (pairs + 1000)
 *   in control  p0 = r̂ + margin, margin = 2·r̂ clamped into [errorInControlFraction, max(1/2, it)]
 *               × maxErrorRateIncrease (default: up to three times legacy's own failures, at
 *               least r̂ + 0.05 point, never more than r̂ + half the threshold)
 *   alarm for   p1 ∈ r̂ + {3.5, 10} × maxErrorRateIncrease        (r̂ + 3.5, 10 points)
 *
 * Method: K = 2 parallel Bernoulli CUSUMs (Page 1954; Reynolds & Stoumbos 1999) whose rates are
 * re-estimated from past pairs only (predictable), so Ville's inequality still applies (Shin,
 * Ramdas & Rinaldo 2023). Guarantee: while P(candidate-only) ≤ p0 at every step, the average run
 * length to a false rollback is ≥ 1/α pairs (100,000 at α = 1e-5). "Three times legacy's own
 * failures" keeps an A/A test whose sides fail independently (r̂ ≈ P(candidate-only)) well inside
 * it. A candidate that stops answering fails every pair, the strongest evidence there is.
 *
 * Why these rates, and their price: the smallest alternative puts the effective threshold (the
 * rate where its drift turns positive, `effectiveThreshold`) at r̂ + 0.82 × maxErrorRateIncrease
 * (r̂ → 0, the worst case; a larger r̂ or margin only raises it). The in-control level must stay low
 * (0.05 ×) for the target, a 5% 5xx rate caught within 200 pairs at p95: with p0 at half the
 * threshold even the best alternative needs ≈ 180 pairs on average (h / KL(5% ‖ 0.5%)). So, unlike
 * the mismatch criterion, rates between p0 and p* are a grey zone that a run of failures rolls back:
 * at 0.5 × the threshold every one of 50 seeded runs was rolled back (median 7,524 pairs; bench).
 * The effective threshold only says where the drift turns positive; how far p0 sits below the
 * rate decides how soon a run of failures reaches h. `errorInControlFraction` trades the two.
 */
import { BernoulliCusum } from './bernoulli-cusum.js';
import { cusumEvidence, ExampleRing, type CriterionDetector, type CriterionEvidence, type JudgePair, type JudgeStatus } from './judge-evidence.js';
import type { JudgeSettings } from './judge-settings.js';

/** Prior for the legacy-only rate: one failure in this many pairs. */
const PRIOR_PAIRS = 1000;
/** Rates are refreshed at least this often (and on every legacy-only failure). */
const REFRESH_EVERY = 1024;
/** Alternatives as multiples of maxErrorRateIncrease above r̂: 3.5× sets p* (0.82×), 10× catches a dead candidate in 3 pairs. */
export const ERROR_ALTERNATIVES: readonly number[] = Object.freeze([3.5, 10]);

/** In control while candidate-only failures exceed legacy-only ones by at most this multiple of them. */
const LEGACY_MULTIPLE = 2;

/** The in-control rate and alternatives for legacy-only failure rate `r` (the detector's r̂). */
export function errorRates(settings: JudgeSettings, r: number): { readonly p0: number; readonly p1: readonly number[] } {
  const d = settings.maxErrorRateIncrease;
  const f = settings.errorInControlFraction;
  return {
    p0: r + Math.min(Math.max(LEGACY_MULTIPLE * r, f * d), Math.max(f, 1 / 2) * d),
    p1: ERROR_ALTERNATIVES.map((g) => Math.min(0.99, r + g * d)),
  };
}

export class ErrorRateDetector implements CriterionDetector {
  readonly name = 'error-rate';
  private readonly cusum: BernoulliCusum;
  private readonly examples: ExampleRing;
  private readonly method: string;
  /** Legacy's record is not evidence about the candidate: kept across `reset()`. */
  private legacyOnly = 0;
  private legacyPairs = 0;
  private sinceRefresh = 0;

  constructor(private readonly settings: JudgeSettings) {
    this.cusum = new BernoulliCusum(ERROR_ALTERNATIVES.length, settings.falseAlarmLevel);
    this.examples = new ExampleRing(settings.examples);
    const d = settings.maxErrorRateIncrease;
    this.method = `bernoulli-cusum on candidate-only failures(p0=r̂+clamp(${LEGACY_MULTIPLE}r̂, ${settings.errorInControlFraction * d}, ${Math.max(settings.errorInControlFraction, 1 / 2) * d}), p1∈r̂+{${ERROR_ALTERNATIVES.map((g) => g * d).join(',')}}, α=${settings.falseAlarmLevel})`;
    this.refresh();
  }

  get observations(): number {
    return this.cusum.trials;
  }

  /** Rates for the next pair, from the pairs seen so far. */
  private refresh(): void {
    // Rare (every 1024 pairs or legacy-only failure): the two small arrays are no hot-path cost.
    const { p0, p1 } = errorRates(this.settings, (this.legacyOnly + 1) / (this.legacyPairs + PRIOR_PAIRS));
    this.cusum.setRates(p0, p1);
    this.sinceRefresh = 0;
  }

  observe(pair: JudgePair, index: number, at: number): boolean {
    const candidateOnly = pair.candidateError && !pair.legacyError;
    if (candidateOnly) this.examples.add(pair.id);
    const alarm = this.cusum.observe(candidateOnly, index, at);
    const legacyOnly = pair.legacyError && !pair.candidateError;
    this.legacyPairs++;
    if (legacyOnly) this.legacyOnly++;
    if (legacyOnly || ++this.sinceRefresh >= REFRESH_EVERY) this.refresh();
    return alarm;
  }

  evidence(status: JudgeStatus, pairsSeen: number): CriterionEvidence {
    return cusumEvidence(this.name, status, this.method, 'candidate-only failures', this.cusum.snapshot(), pairsSeen, this.observations, this.examples);
  }

  reset(): void {
    this.cusum.reset();
    this.examples.clear();
  }
}
