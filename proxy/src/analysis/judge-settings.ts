/**
 * The sequential judge's settings: a plain frozen object with defaults, and a zod validator that
 * names the field at fault, so a route table's `judge` object is checked when the table compiles:
 *
 *   parseJudgeSettings({ maxMismatchRate: 0.005 })          -> { ok: true, settings: {…defaults, 0.005} }
 *   parseJudgeSettings({ falseAlarmLevel: 2 }, 'routes[a].judge')
 *     -> { ok: false, errors: ['routes[a].judge.falseAlarmLevel: Number must be less than or equal to 0.01'] }
 *
 * What each threshold means for the detectors, and the guarantee they give, is in
 * sequential-judge.ts and the proxy README.
 */
import { z } from 'zod';

export interface JudgeSettings {
  /** Mismatches per compared pair the judge must catch (p1 grid = {1, 4, 10} × this). */
  readonly maxMismatchRate: number;
  /** Candidate-only minus legacy-only error rate the judge must catch (absolute, 0.01 = 1 point). */
  readonly maxErrorRateIncrease: number;
  /** The candidate may be this many times slower than legacy on the median paired request. */
  readonly maxLatencyRatio: number;
  /**
   * A slow (or tail) pair must also differ by at least this many ms: below it, the two sides'
   * timers (serving thread, shadow worker) disagree by more than the upstreams do.
   */
  readonly minLatencyDifferenceMs: number;
  /** A pair where one side took this many times as long as the other is a tail pair. */
  readonly tailLatencyRatio: number;
  /** In control while the candidate is the slow side of at most this share of the tail pairs. */
  readonly inControlTailShare: number;
  /** Rates at or below this fraction of a threshold are in control (the false-alarm bound holds). */
  readonly inControlFraction: number;
  /** α: the average run length to a false rollback is ≥ 1/α observations per criterion (Ville). */
  readonly falseAlarmLevel: number;
  /** No decision before this many pairs since the last reset (the evidence still accumulates). */
  readonly warmupPairs: number;
  /** Example pair ids kept per criterion. */
  readonly examples: number;
}

export const DEFAULT_JUDGE_SETTINGS: JudgeSettings = Object.freeze({
  maxMismatchRate: 0.01,
  maxErrorRateIncrease: 0.01,
  maxLatencyRatio: 1.5,
  minLatencyDifferenceMs: 5,
  tailLatencyRatio: 10,
  inControlTailShare: 2 / 3,
  inControlFraction: 0.05,
  falseAlarmLevel: 1e-5,
  warmupPairs: 100,
  examples: 5,
});

/** Every field optional: a route's `judge` object overrides the defaults it names. */
export const judgeSettingsSchema = z
  .object({
    maxMismatchRate: z.number().gt(0).max(0.5),
    maxErrorRateIncrease: z.number().gt(0).max(0.5),
    maxLatencyRatio: z.number().gt(1).max(100),
    minLatencyDifferenceMs: z.number().min(0).max(60_000),
    tailLatencyRatio: z.number().gt(1).max(1000),
    inControlTailShare: z.number().gte(0.5).lt(1),
    inControlFraction: z.number().gt(0).lt(1),
    falseAlarmLevel: z.number().gt(0).max(0.01),
    warmupPairs: z.number().int().min(0).max(1_000_000),
    examples: z.number().int().min(0).max(50),
  })
  .partial()
  .strict();

export type JudgeSettingsInput = z.input<typeof judgeSettingsSchema>;

export type JudgeSettingsResult = { readonly ok: true; readonly settings: JudgeSettings } | { readonly ok: false; readonly errors: readonly string[] };

/** Validate `input` (a route's `judge` object) on top of `defaults`; errors name their field under `where`. */
export function parseJudgeSettings(input: unknown, where = 'judge', defaults: JudgeSettings = DEFAULT_JUDGE_SETTINGS): JudgeSettingsResult {
  const parsed = judgeSettingsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((i) => `${where}${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}: ${i.message}`) };
  }
  return { ok: true, settings: withOverrides(defaults, parsed.data) };
}

/** `defaults` with the fields `overrides` sets (validated by `judgeSettingsSchema`), frozen. */
export function withOverrides(defaults: JudgeSettings, overrides: JudgeSettingsInput): JudgeSettings {
  return Object.freeze({ ...defaults, ...stripUndefined(overrides) });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
