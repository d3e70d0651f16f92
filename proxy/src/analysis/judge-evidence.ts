/**
 * What the sequential judge reads from one pair, and the evidence it gives back with a decision:
 *
 *   { criterion: 'mismatch-rate', status: 'fail', statistic: 14.2, threshold: 12.61,
 *     pairsSeen: 50_093, onsetPair: 50_001, rateSinceOnset: 0.097, examples: ['a81f…', …] }
 *
 * The statistic is a CUSUM's log e-value (bernoulli-cusum.ts): it crossed `threshold` = ln(K/α).
 */
import type { CusumSnapshot } from './bernoulli-cusum.js';

/** One paired observation (legacy is the control). Errors are 5xx or no answer. */
export interface JudgePair {
  readonly outcome: 'match' | 'mismatch' | 'not-compared';
  /** Latency of each side, null when that side gave no answer. */
  readonly legacyLatencyMs: number | null;
  readonly candidateLatencyMs: number | null;
  readonly legacyError: boolean;
  readonly candidateError: boolean;
  /** Something a human can look up (recorded pair id, request id); kept for examples. */
  readonly id?: string | number;
}

export type CriterionName = 'mismatch-rate' | 'error-rate' | 'latency' | 'tail-latency';
export type JudgeStatus = 'undecided' | 'pass' | 'fail';

/** One criterion's state with everything a human needs to check it. Frozen. */
export interface CriterionEvidence {
  readonly criterion: CriterionName;
  readonly status: JudgeStatus;
  /** Method and its parameters, e.g. `bernoulli-cusum(p0=0.001, p1∈{0.01,0.04,0.1})`. */
  readonly method: string;
  /** Log e-value of the leading alternative; fail at ≥ threshold. */
  readonly statistic: number;
  readonly threshold: number;
  /** Pairs the judge has seen since its last reset. */
  readonly pairsSeen: number;
  /** Observations this criterion scored (compared pairs, latency pairs, tail pairs...). */
  readonly observations: number;
  /** The event this criterion counts, and how many it saw. */
  readonly event: string;
  readonly events: number;
  readonly inControlRate: number;
  readonly alternativeRate: number;
  /** CUSUM estimate of where the change began: pair index since reset, and its time if known. */
  readonly onsetPair: number | null;
  readonly onsetAt: number | null;
  /** Event rate since the onset (what the evidence is about). */
  readonly rateSinceOnset: number | null;
  /** Ids of the latest pairs that counted as events (mismatches, errors, slow pairs). */
  readonly examples: readonly (string | number)[];
  /** One readable line. */
  readonly summary: string;
}

/** A fixed ring of the latest example ids: storing one is a slot write, no allocation. */
export class ExampleRing {
  private readonly ids: (string | number | undefined)[];
  private next = 0;
  private size = 0;

  constructor(capacity: number) {
    this.ids = new Array<string | number | undefined>(Math.max(0, capacity));
  }

  add(id: string | number | undefined): void {
    if (id === undefined || this.ids.length === 0) return;
    this.ids[this.next] = id;
    this.next = (this.next + 1) % this.ids.length;
    if (this.size < this.ids.length) this.size++;
  }

  /** Oldest first. */
  list(): (string | number)[] {
    const out: (string | number)[] = [];
    const cap = this.ids.length;
    for (let i = 0; i < this.size; i++) out.push(this.ids[(this.next - this.size + i + cap) % cap]!);
    return out;
  }

  clear(): void {
    this.ids.fill(undefined);
    this.next = 0;
    this.size = 0;
  }
}

const round = (x: number, digits = 4) => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : x);

/** The common evidence of a CUSUM-based criterion. */
export function cusumEvidence(
  criterion: CriterionName,
  status: JudgeStatus,
  method: string,
  event: string,
  snap: CusumSnapshot,
  pairsSeen: number,
  observations: number,
  examples: ExampleRing,
): CriterionEvidence {
  const rate = snap.trialsSinceOnset > 0 ? snap.eventsSinceOnset / snap.trialsSinceOnset : null;
  const since = snap.onsetPair === null ? 'no change under way' : `since pair ${snap.onsetPair}: ${snap.eventsSinceOnset}/${snap.trialsSinceOnset} ${event}`;
  const summary = `${criterion} ${status}: log e-value ${round(snap.statistic)} vs threshold ${round(snap.threshold)} (in-control rate ${round(snap.p0, 3)}, alternative ${round(snap.p1, 3)}); ${since}; ${observations} observations in ${pairsSeen} pairs`;
  return Object.freeze({
    criterion,
    status,
    method,
    statistic: round(snap.statistic, 6),
    threshold: round(snap.threshold, 6),
    pairsSeen,
    observations,
    event,
    events: snap.events,
    inControlRate: snap.p0,
    alternativeRate: snap.p1,
    onsetPair: snap.onsetPair,
    onsetAt: snap.onsetAt,
    rateSinceOnset: rate === null ? null : round(rate, 6),
    examples: Object.freeze(examples.list()),
    summary,
  });
}

/** One criterion of the sequential judge: a detector over pairs. */
export interface CriterionDetector {
  readonly name: CriterionName;
  /** Pairs this criterion could score so far. */
  readonly observations: number;
  /** Score pair number `index` (since reset, from 1) seen at `at` ms (NaN when unknown). True: alarm. */
  observe(pair: JudgePair, index: number, at: number): boolean;
  evidence(status: JudgeStatus, pairsSeen: number): CriterionEvidence;
  reset(): void;
}
