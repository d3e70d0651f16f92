/**
 * A rollout plan's specification, the same wherever it is written: on the command line
 * (`npm run flags -- rollout ml-predict --steps 5,25,50,100 --shadow-first --min-pairs 200 --hold 10m`)
 * or in the proxy's route table (`"rollout": {"steps": [5, 25, 50, 100], "shadowFirst": true,
 * "minPairs": 200, "hold": "10m"}`). Parsing is pure and names what is wrong (RolloutSpecError);
 * nothing is sent anywhere before a spec parses.
 */
import { z } from 'zod';

/** What a plan does: live percentages in order, each held until the judge passed on enough pairs taken at it. */
export interface RolloutSpec {
  /** Live rollout percentages, strictly increasing, each 1..100. */
  readonly steps: readonly number[];
  /** Before the first live step: 100% shadow, 0% live, until the judge passes. */
  readonly shadowFirst: boolean;
  /** Pairs the judge must have seen at a step (since the step began) before it may advance. */
  readonly minPairs: number;
  /** The shortest time a step lasts, in ms. */
  readonly holdMs: number;
}

export const DEFAULT_MIN_PAIRS = 100;
export const DEFAULT_HOLD_MS = 60_000;

export class RolloutSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RolloutSpecError';
  }
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `10m`, `1h`, `2d`, `1h30m` or a bare number of seconds → ms; throws on anything else. */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1_000);
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (t === '' || parts.map((p) => p[0]).join('') !== t) {
    throw new RolloutSpecError(`--hold must be a duration like 30s, 10m, 1h30m, got "${text}"`);
  }
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]], 0);
  if (!Number.isFinite(ms) || ms > 30 * UNIT_MS.d) throw new RolloutSpecError(`--hold must be at most 30d, got "${text}"`);
  return Math.round(ms);
}

/** `5,25,50,100` → [5, 25, 50, 100]; integers 1..100, strictly increasing. */
export function parseSteps(text: string): number[] {
  const cells = text.split(',').map((c) => c.trim().replace(/%$/, ''));
  if (cells.length === 0 || cells.some((c) => c === '')) throw new RolloutSpecError(`--steps must be a comma list of percentages like 5,25,50,100, got "${text}"`);
  const steps = cells.map((c) => {
    if (!/^-?\d+(\.\d+)?$/.test(c)) throw new RolloutSpecError(`--steps: "${c}" is not a percentage (an integer 1..100)`);
    return Number(c);
  });
  return validateSteps(steps);
}

export function validateSteps(steps: readonly number[]): number[] {
  if (steps.length === 0) throw new RolloutSpecError('a plan needs at least one step');
  if (steps.length > 20) throw new RolloutSpecError(`a plan has at most 20 steps, got ${steps.length}`);
  for (const s of steps) {
    if (!Number.isInteger(s) || s < 1 || s > 100) throw new RolloutSpecError(`step ${s} is outside 1..100 (percent of clients served by the candidate)`);
  }
  for (let i = 1; i < steps.length; i++) {
    if (steps[i] <= steps[i - 1]) throw new RolloutSpecError(`steps must increase: ${steps[i - 1]} then ${steps[i]}`);
  }
  return [...steps];
}

export function validateMinPairs(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new RolloutSpecError(`--min-pairs must be an integer 1..1000000, got ${n}`);
  return n;
}

/** The route table's `rollout` object (strict, like every route field). */
export const rolloutSchema = z
  .object({
    steps: z.array(z.number()).superRefine((steps, ctx) => {
      try {
        validateSteps(steps);
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
      }
    }),
    shadowFirst: z.boolean().default(false),
    minPairs: z.number().int().min(1).max(1_000_000).default(DEFAULT_MIN_PAIRS),
    hold: z
      .string()
      .default('60s')
      .superRefine((hold, ctx) => {
        try {
          parseDuration(hold);
        } catch (err) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message.replace('--hold', 'hold') });
        }
      }),
  })
  .strict();

export type RolloutConfig = z.output<typeof rolloutSchema>;

/** A validated route-table `rollout` object as a spec. */
export function specFromConfig(config: RolloutConfig): RolloutSpec {
  return Object.freeze({ steps: Object.freeze([...config.steps]), shadowFirst: config.shadowFirst, minPairs: config.minPairs, holdMs: parseDuration(config.hold) });
}

/** `5% → 25% → 100%, shadow first, ≥ 200 pairs and 10m per step` */
export function describeSpec(spec: RolloutSpec): string {
  return `${spec.shadowFirst ? 'shadow → ' : ''}${spec.steps.map((s) => `${s}%`).join(' → ')}, ≥ ${spec.minPairs} pairs and ${formatDuration(spec.holdMs)} per step`;
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}m`;
  return `${+(ms / 3_600_000).toFixed(1)}h`;
}
