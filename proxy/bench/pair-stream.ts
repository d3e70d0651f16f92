/**
 * Seeded streams of shadow pairs for the judge's bench and tests: the same request goes to legacy
 * and to the candidate, and the pair is what the comparator and the timers would report.
 *
 *   legacy      5xx with probability 0.1%; an ML answer {label, confidence}
 *   latency     ln(ms) = ln(20) + request cost N(0, 0.5) shared by both sides + own jitter
 *               N(0, 0.25) per side; each side spikes 20× with probability 0.3% (GC, lost packet)
 *   candidate   healthy: the same answer (errors included) with confidence float noise
 *               N(0, 1e-7), far under the comparator's 1e-4 tolerance; then, from `onset` on, the
 *               scenario's regression
 *
 * One mutable pair object is reused (the judge keeps no reference), so a stream allocates nothing.
 */
import type { JudgePair } from '../src/analysis/judge-evidence.js';
import { seededRandom } from '../src/analysis/seeded-random.js';

export type Scenario =
  | { readonly kind: 'healthy' }
  | { readonly kind: 'flip'; readonly rate: number }
  | { readonly kind: 'errors'; readonly rate: number }
  | { readonly kind: 'slower'; readonly factor: number }
  | { readonly kind: 'tail'; readonly rate: number; readonly factor: number }
  | { readonly kind: 'independent-errors' };

export const LEGACY_ERROR_RATE = 0.001;
export const SPIKE_RATE = 0.003;
export const SPIKE_FACTOR = 20;
const TOLERANCE = 1e-4;

interface MutablePair {
  outcome: JudgePair['outcome'];
  legacyLatencyMs: number | null;
  candidateLatencyMs: number | null;
  legacyError: boolean;
  candidateError: boolean;
  id: number;
}

export class PairStream {
  private readonly random: () => number;
  private spare = NaN;
  private readonly pair: MutablePair = { outcome: 'match', legacyLatencyMs: 0, candidateLatencyMs: 0, legacyError: false, candidateError: false, id: 0 };
  index = 0;

  /** Pairs 1 … onset-1 are healthy, pairs ≥ onset follow `scenario`. */
  constructor(
    seed: number,
    private readonly scenario: Scenario,
    private readonly onset = 1,
  ) {
    this.random = seededRandom(seed);
  }

  /** Standard normal (Marsaglia's polar method, the spare kept). */
  private gaussian(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.random() - 1;
      v = 2 * this.random() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }

  next(): JudgePair {
    const p = this.pair;
    const i = ++this.index;
    const sc = i >= this.onset ? this.scenario : null;
    const legacyError = this.random() < LEGACY_ERROR_RATE;
    let candidateError = legacyError;
    if (sc?.kind === 'errors' && this.random() < sc.rate) candidateError = true;
    if (sc?.kind === 'independent-errors') candidateError = this.random() < LEGACY_ERROR_RATE;
    const cost = Math.log(20) + 0.5 * this.gaussian();
    let legacyMs = Math.exp(cost + 0.25 * this.gaussian());
    let candidateMs = Math.exp(cost + 0.25 * this.gaussian());
    if (this.random() < SPIKE_RATE) legacyMs *= SPIKE_FACTOR;
    if (this.random() < SPIKE_RATE) candidateMs *= SPIKE_FACTOR;
    if (sc?.kind === 'slower') candidateMs *= sc.factor;
    if (sc?.kind === 'tail' && this.random() < sc.rate) candidateMs *= sc.factor;
    // The answer: a label and a confidence; the candidate's copy carries float noise.
    const confidence = this.random();
    const noisy = confidence + 1e-7 * this.gaussian();
    const flipped = sc?.kind === 'flip' && this.random() < sc.rate;
    if (legacyError && candidateError) p.outcome = 'not-compared';
    else if (legacyError !== candidateError || flipped || Math.abs(noisy - confidence) > TOLERANCE) p.outcome = 'mismatch';
    else p.outcome = 'match';
    p.legacyError = legacyError;
    p.candidateError = candidateError;
    p.legacyLatencyMs = legacyMs;
    p.candidateLatencyMs = candidateMs;
    p.id = i;
    return p;
  }
}
