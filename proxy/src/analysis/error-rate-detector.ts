/**
 * Error-rate criterion (candidate − legacy): a Bernoulli change detector on "the candidate failed
 * (5xx or no answer) on a request legacy answered". On the same request, P(candidate fails) −
 * P(legacy fails) = P(candidate-only) − P(legacy-only), and failures of both (a bad request) cancel:
 *
 *   r̂          legacy-only failure rate so far, (legacy-only + 1) / (pairs + 1000)
 *   in control  p0 = r̂ + margin, margin = 2·r̂ clamped into [inControlFraction, 1/2] × maxErrorRateIncrease
 *               (default: up to three times legacy's own failures, at least r̂ + 0.05 point,
 *               never more than r̂ + half the threshold)
 *   alarm for   p1 ∈ r̂ + {1, 4, 10} × maxErrorRateIncrease        (r̂ + 1, 4, 10 points)
 *
 * Method: K = 3 parallel Bernoulli CUSUMs (Page 1954; Reynolds & Stoumbos 1999) whose rates are
 * re-estimated from past pairs only (predictable), so Ville's inequality still applies (Shin,
 * Ramdas & Rinaldo 2023). Guarantee: while P(candidate-only) ≤ p0 at every step, the average run
 * length to a false rollback is ≥ 1/α pairs (100,000 at α = 1e-5). "Three times legacy's own failures"
 * keeps an A/A test whose sides fail independently (r̂ ≈ P(candidate-only)) well inside it. A candidate that
 * stops answering fails every pair, which is the strongest evidence this criterion can get.
 */
import { BernoulliCusum } from './bernoulli-cusum.js';
import { cusumEvidence, ExampleRing, type CriterionDetector, type CriterionEvidence, type JudgePair, type JudgeStatus } from './judge-evidence.js';
import type { JudgeSettings } from './judge-settings.js';
import { RATE_ALTERNATIVES } from './mismatch-detector.js';

/** Prior for the legacy-only rate: one failure in this many pairs. */
const PRIOR_PAIRS = 1000;
/** Rates are refreshed at least this often (and on every legacy-only failure). */
const REFRESH_EVERY = 1024;
/** In control while candidate-only failures exceed legacy-only ones by at most this multiple of them. */
const LEGACY_MULTIPLE = 2;

export class ErrorRateDetector implements CriterionDetector {
  readonly name = 'error-rate';
  private readonly cusum: BernoulliCusum;
  private readonly examples: ExampleRing;
  private readonly method: string;
  private readonly p1 = new Float64Array(RATE_ALTERNATIVES.length);
  /** Legacy's record is not evidence about the candidate: kept across `reset()`. */
  private legacyOnly = 0;
  private legacyPairs = 0;
  private sinceRefresh = 0;

  constructor(private readonly settings: JudgeSettings) {
    this.cusum = new BernoulliCusum(RATE_ALTERNATIVES.length, settings.falseAlarmLevel);
    this.examples = new ExampleRing(settings.examples);
    const d = settings.maxErrorRateIncrease;
    this.method = `bernoulli-cusum on candidate-only failures(p0=r̂+clamp(${LEGACY_MULTIPLE}r̂, ${settings.inControlFraction * d}, ${d / 2}), p1∈r̂+{${RATE_ALTERNATIVES.map((g) => g * d).join(',')}}, α=${settings.falseAlarmLevel})`;
    this.refresh();
  }

  get observations(): number {
    return this.cusum.trials;
  }

  /** Rates for the next pair, from the pairs seen so far. */
  private refresh(): void {
    const r = (this.legacyOnly + 1) / (this.legacyPairs + PRIOR_PAIRS);
    const d = this.settings.maxErrorRateIncrease;
    const f = this.settings.inControlFraction;
    const p0 = r + Math.min(Math.max(LEGACY_MULTIPLE * r, f * d), d / 2);
    for (let i = 0; i < RATE_ALTERNATIVES.length; i++) this.p1[i] = Math.min(0.99, r + RATE_ALTERNATIVES[i] * d);
    this.cusum.setRates(p0, this.p1);
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
