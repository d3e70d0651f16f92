/**
 * The sequential judge of one route: it updates with every pair (or batch) and fails as soon as
 * one criterion's evidence suffices, with the probability of a false rollback bounded under
 * continuous monitoring. No clock, no windows: pairs, not minutes.
 *
 *   const judge = new SequentialJudge(settings);
 *   for (const pair of batch) if (judge.observe(pair, atMs) === 'fail') rollBack(judge.decision());
 *
 * Criteria (one change detector each, all Bernoulli CUSUMs with threshold ln(K/α), see
 * bernoulli-cusum.ts for the method and its sources):
 *   mismatch-rate  mismatches among compared pairs          mismatch-detector.ts
 *   error-rate     candidate-only minus legacy-only errors  error-rate-detector.ts
 *   latency        median paired ratio vs maxLatencyRatio   latency-ratio-detector.ts
 *   tail-latency   candidate's share of 10× tail pairs      tail-latency-detector.ts
 *
 * False-alarm guarantee: each criterion, while in control, has an average run length to a false
 * rollback of ≥ 1/α of its observations (Ville's inequality; 100,000 at the default α = 1e-5);
 * for the four together P(false rollback within N pairs) ≤ 4·N·α at the in-control boundaries.
 * Well inside them (an A/A test) the run length is far longer: the bench measured 0 false
 * rollbacks in 100 runs of 1,000,000 A/A pairs (README, "Sequential judge").
 *
 * States: `undecided` before `warmupPairs` pairs (too few pairs never fails), `pass` after it
 * while no criterion has alarmed (no regression so far), `fail` once one has: the judge then
 * stops scoring and keeps the evidence until `reset()` (a rollback, a resume, a rollout step).
 * No traffic means no pairs, so the judge simply holds. Per pair: 4 detectors, no allocation.
 */
import { ErrorRateDetector } from './error-rate-detector.js';
import type { CriterionDetector, CriterionEvidence, JudgePair, JudgeStatus } from './judge-evidence.js';
import { DEFAULT_JUDGE_SETTINGS, type JudgeSettings } from './judge-settings.js';
import { LatencyRatioDetector } from './latency-ratio-detector.js';
import { MismatchDetector } from './mismatch-detector.js';
import { TailLatencyDetector } from './tail-latency-detector.js';

/** A decision with its evidence. Frozen. */
export interface JudgeDecision {
  readonly status: JudgeStatus;
  /** Pairs seen since the last reset. */
  readonly pairs: number;
  /** The criterion that failed (the first to cross its threshold), null unless `fail`. */
  readonly failed: CriterionEvidence | null;
  /** Every criterion, failing or not. */
  readonly criteria: readonly CriterionEvidence[];
  readonly reason: string;
}

export class SequentialJudge {
  private readonly detectors: readonly CriterionDetector[];
  private pairCount = 0;
  private failedIndex = -1;
  private failedAtPair = 0;

  constructor(readonly settings: JudgeSettings = DEFAULT_JUDGE_SETTINGS) {
    this.detectors = [new MismatchDetector(settings), new ErrorRateDetector(settings), new LatencyRatioDetector(settings), new TailLatencyDetector(settings)];
  }

  get pairs(): number {
    return this.pairCount;
  }

  get status(): JudgeStatus {
    if (this.failedIndex >= 0) return 'fail';
    return this.pairCount >= this.settings.warmupPairs ? 'pass' : 'undecided';
  }

  /** Score one pair seen at `atMs` (optional, for the onset's time). Returns the status after it. */
  observe(pair: JudgePair, atMs = NaN): JudgeStatus {
    if (this.failedIndex >= 0) return 'fail';
    const index = ++this.pairCount;
    const decide = index >= this.settings.warmupPairs;
    for (let i = 0; i < this.detectors.length; i++) {
      // Every detector sees the pair (so all evidence is current); the first alarm decides.
      if (this.detectors[i].observe(pair, index, atMs) && decide && this.failedIndex < 0) {
        this.failedIndex = i;
        this.failedAtPair = index;
      }
    }
    return this.status;
  }

  /** Score a batch in order; stops at the first failure (later pairs are not evidence any more). */
  observeBatch(pairs: readonly JudgePair[], atMs = NaN): JudgeStatus {
    for (let i = 0; i < pairs.length && this.failedIndex < 0; i++) this.observe(pairs[i], atMs);
    return this.status;
  }

  /** The current decision with every criterion's evidence (allocates: call it on decisions and for /status). */
  decision(): JudgeDecision {
    const status = this.status;
    const criteria = this.detectors.map((d, i) => {
      const own: JudgeStatus = i === this.failedIndex ? 'fail' : d.observations >= this.settings.warmupPairs ? 'pass' : 'undecided';
      return d.evidence(own, this.pairCount);
    });
    const failed = this.failedIndex >= 0 ? criteria[this.failedIndex] : null;
    const reason =
      failed !== null
        ? `${failed.criterion} failed at pair ${this.failedAtPair}: ${failed.summary}`
        : status === 'undecided'
          ? `${this.pairCount} pairs, ${this.settings.warmupPairs} needed before deciding`
          : `no regression detected in ${this.pairCount} pairs`;
    return Object.freeze({ status, pairs: this.pairCount, failed, criteria: Object.freeze(criteria), reason });
  }

  /** Forget all evidence about the candidate (after a rollback, a resume, or at a rollout step). */
  reset(): void {
    for (const d of this.detectors) d.reset();
    this.pairCount = 0;
    this.failedIndex = -1;
    this.failedAtPair = 0;
  }
}
