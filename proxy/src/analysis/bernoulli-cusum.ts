/**
 * A change detector on a stream of yes/no outcomes: K of Page's CUSUMs run side by side, each on
 * the log-likelihood ratio of "the event rate is now p1[k]" against "it is p0":
 *
 *   S_k(t) = max(0, S_k(t-1) + (event ? ln(p1/p0) : ln((1-p1)/(1-p0))))      alarm: max_k S_k ≥ h
 *
 * Method: Page (1954) "Continuous inspection schemes", Biometrika 41; the Bernoulli form is
 * Reynolds & Stoumbos (1999) J. Quality Technology 31. Because S_k resets at 0 it is change
 * detection, not a running average: a million good outcomes leave S_k at 0, and a later rise is
 * caught as fast as one at the start. The pair where the alarming S_k last left 0 is the CUSUM
 * estimate of the change point (the onset).
 *
 * Guarantee (Shin, Ramdas & Rinaldo 2023, "E-detectors", via Ville's inequality): while the event
 * rate is at most p0 (conditionally on the past, any dependence), each exp(S_k) is bounded by the
 * Shiryaev–Roberts statistic R_k(t) = (1 + R_k(t-1))·LR_k(t), and the average R(t) of the K of them
 * satisfies E[R(t) - t] ≤ 0. With h = ln(K/α): the average run length to a false alarm is at
 * least 1/α observations, and P(false alarm within N observations) ≤ N·α. Rates may change over
 * time (`setRates`) as long as they are fixed before the outcome they score (predictable).
 *
 * Several alternatives instead of one: a 10% flip and a 2% flip are best caught by different p1;
 * the price is ln K in the threshold. Hot path: `observe` allocates nothing.
 */

/** Where the detector stands (copied out on demand, never per observation). */
export interface CusumSnapshot {
  /** max_k S_k: the log e-value of the strongest alternative. */
  readonly statistic: number;
  readonly threshold: number;
  readonly trials: number;
  readonly events: number;
  readonly p0: number;
  /** The alternative with the largest statistic. */
  readonly p1: number;
  /** Pair index (as given to `observe`) where the leading CUSUM last left 0. */
  readonly onsetPair: number | null;
  readonly onsetAt: number | null;
  /** Trials and events since the onset: the rate the evidence is about. */
  readonly trialsSinceOnset: number;
  readonly eventsSinceOnset: number;
}

/** h = ln(K/α): the threshold that gives K parallel CUSUMs an ARL to false alarm of ≥ 1/α. */
export function cusumThreshold(alternatives: number, alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`false-alarm level must be in (0, 1), got ${alpha}`);
  if (!(alternatives >= 1)) throw new RangeError('at least one alternative');
  return Math.log(alternatives / alpha);
}

/** ln(p1/p0) for an event, ln((1-p1)/(1-p0)) for a non-event. */
export function bernoulliLogLikelihoodRatio(event: boolean, p0: number, p1: number): number {
  return event ? Math.log(p1 / p0) : Math.log1p(-p1) - Math.log1p(-p0);
}

const MIN_RATE = 1e-9;
const MAX_RATE = 1 - 1e-9;

export class BernoulliCusum {
  readonly threshold: number;
  private readonly k: number;
  private readonly p1: Float64Array;
  private readonly up: Float64Array;
  private readonly down: Float64Array;
  private readonly s: Float64Array;
  /** Per CUSUM, when it last left 0: trials and events before, pair index and time of that pair. */
  private readonly startTrials: Float64Array;
  private readonly startEvents: Float64Array;
  private readonly startPair: Float64Array;
  private readonly startAt: Float64Array;
  private p0 = 0.5;
  trials = 0;
  events = 0;

  /** `alternatives` = number of p1 values (fixed); rates come from `setRates`. */
  constructor(alternatives: number, alpha: number) {
    this.k = alternatives;
    this.threshold = cusumThreshold(alternatives, alpha);
    this.p1 = new Float64Array(alternatives);
    this.up = new Float64Array(alternatives);
    this.down = new Float64Array(alternatives);
    this.s = new Float64Array(alternatives);
    this.startTrials = new Float64Array(alternatives);
    this.startEvents = new Float64Array(alternatives);
    this.startPair = new Float64Array(alternatives);
    this.startAt = new Float64Array(alternatives).fill(NaN);
  }

  /**
   * In-control rate p0 and the alternatives (each > p0; clamped into (0, 1)). Call before the
   * outcomes they score, never after (the guarantee needs predictable rates).
   */
  setRates(p0: number, p1: ArrayLike<number>): void {
    if (p1.length !== this.k) throw new RangeError(`expected ${this.k} alternatives, got ${p1.length}`);
    this.p0 = Math.min(MAX_RATE, Math.max(MIN_RATE, p0));
    for (let i = 0; i < this.k; i++) {
      const q = Math.min(MAX_RATE, Math.max(this.p0 * (1 + 1e-9), p1[i]));
      this.p1[i] = q;
      this.up[i] = bernoulliLogLikelihoodRatio(true, this.p0, q);
      this.down[i] = bernoulliLogLikelihoodRatio(false, this.p0, q);
    }
  }

  /** Score one outcome of pair `pair` (index since reset) seen at `at` (ms, or NaN). True: alarm. */
  observe(event: boolean, pair: number, at: number): boolean {
    this.trials++;
    if (event) this.events++;
    let alarm = false;
    for (let i = 0; i < this.k; i++) {
      const next = this.s[i] + (event ? this.up[i] : this.down[i]);
      if (next <= 0) {
        this.s[i] = 0;
        continue;
      }
      if (this.s[i] === 0) {
        this.startTrials[i] = this.trials - 1;
        this.startEvents[i] = this.events - (event ? 1 : 0);
        this.startPair[i] = pair;
        this.startAt[i] = at;
      }
      this.s[i] = next;
      if (next >= this.threshold) alarm = true;
    }
    return alarm;
  }

  statistic(): number {
    let best = 0;
    for (let i = 0; i < this.k; i++) if (this.s[i] > best) best = this.s[i];
    return best;
  }

  snapshot(): CusumSnapshot {
    let lead = 0;
    for (let i = 1; i < this.k; i++) if (this.s[i] > this.s[lead]) lead = i;
    const moved = this.s[lead] > 0;
    return {
      statistic: this.s[lead],
      threshold: this.threshold,
      trials: this.trials,
      events: this.events,
      p0: this.p0,
      p1: this.p1[lead],
      onsetPair: moved ? this.startPair[lead] : null,
      onsetAt: moved && Number.isFinite(this.startAt[lead]) ? this.startAt[lead] : null,
      trialsSinceOnset: moved ? this.trials - this.startTrials[lead] : 0,
      eventsSinceOnset: moved ? this.events - this.startEvents[lead] : 0,
    };
  }

  /** Forget all evidence (rates are kept). */
  reset(): void {
    this.s.fill(0);
    this.startTrials.fill(0);
    this.startEvents.fill(0);
    this.startPair.fill(0);
    this.startAt.fill(NaN);
    this.trials = 0;
    this.events = 0;
  }
}

/**
 * Siegmund's approximation of a CUSUM's average run length at event rate p (Siegmund 1985,
 * "Sequential Analysis", ch. II; Wald's identity): with drift μ = E[increment] < 0 and θ > 0 the
 * root of E[exp(θ·increment)] = 1,
 *   ARL ≈ (exp(θh) − θh − 1) / (θ|μ|).
 * Without the overshoot correction it understates the ARL (a false-alarm figure from it is
 * conservative). Infinity when the event never happens (p = 0); NaN when the drift is not negative.
 */
export function siegmundArl(p: number, p0: number, p1: number, h: number): number {
  const a = bernoulliLogLikelihoodRatio(true, p0, p1);
  const b = bernoulliLogLikelihoodRatio(false, p0, p1);
  if (p <= 0) return Infinity;
  const mu = p * a + (1 - p) * b;
  if (!(mu < 0)) return NaN;
  const mgf = (theta: number) => p * Math.exp(theta * a) + (1 - p) * Math.exp(theta * b) - 1;
  let hi = 1;
  while (mgf(hi) < 0 && hi < 1e6) hi *= 2;
  let lo = hi / 2;
  if (hi === 1) lo = 1e-12;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (mgf(mid) < 0) lo = mid;
    else hi = mid;
  }
  const theta = (lo + hi) / 2;
  const x = theta * h;
  // exp(x) overflows past ~709: the ARL is then astronomically large anyway.
  return x > 700 ? Infinity : (Math.exp(x) - x - 1) / (theta * -mu);
}
