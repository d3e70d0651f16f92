/**
 * A route's settings for shadowing, comparison and judging: the route file's `shadow`, `compare`
 * and `judge` objects, validated by the route file's schema (strict: an unknown key or a bad value
 * refuses the table and names the field, like any other) and compiled with the route, so the
 * compiled form travels with the Route and the hot path reads a frozen object.
 *
 *   { "id": "ml-predict", …,
 *     "shadow":  { "allowWithIdempotencyKey": false, "calibrationRate": 0.01 },
 *     "compare": { "ignore": ["model_info.loaded_from"], "tolerance": [{ "path": "confidence", "absolute": 1e-4 }] },
 *     "judge":   { "maxMismatchRate": 0.02, "falseAlarmLevel": 1e-6 },
 *     "rollout": { "steps": [5, 25, 50, 100], "shadowFirst": true, "minPairs": 200, "hold": "10m" } }
 *
 * The judge's values here override defaults that come from the environment (JUDGE_*), merged by
 * `judgeSettings` where the judge runs.
 */
import { z } from 'zod';
import { rolloutSchema, specFromConfig, type RolloutSpec } from '@smp/flags/rollout-spec';
import { compileCompareRules, type CompareRuleConfig, type CompareRules } from '../compare/compare-rules.js';
import { judgeSettingsSchema, withOverrides, type JudgeSettings } from '../analysis/judge-settings.js';

const nonNegative = z.number().finite().min(0);
const pathList = z.array(z.string().min(1)).max(200);

export const shadowSchema = z
  .object({
    /** Mirror this route at all (the shadow flag still decides the share). */
    enabled: z.boolean().default(true),
    /** On a non-idempotent route, mirror requests that carry an Idempotency-Key. */
    allowWithIdempotencyKey: z.boolean().default(false),
    /** Share of mirrored requests whose legacy answer is also fetched twice, to learn noise. */
    calibrationRate: z.number().min(0).max(1).default(0),
  })
  .strict()
  .default({});

export const compareSchema = z
  .object({
    ignore: pathList.optional(),
    tolerance: z
      .array(z.object({ path: z.string().min(1), absolute: nonNegative.optional(), relative: nonNegative.optional() }).strict())
      .max(200)
      .optional(),
    unordered: z
      .array(z.object({ path: z.string().min(1), key: pathList.optional() }).strict())
      .max(50)
      .optional(),
    headers: z.array(z.string().min(1)).max(50).optional(),
    ml: z.enum(['predict', 'anomaly', 'drift']).optional(),
    replaceDefaults: z.boolean().optional(),
  })
  .strict()
  .default({});

/** The sequential judge's settings (analysis/judge-settings.ts), every field optional. */
export const judgeSchema = judgeSettingsSchema.default({});

/** What the shadow tap reads of a route. */
export type ShadowSettings = Readonly<z.output<typeof shadowSchema>>;

/** The route's comparison rules, compiled, and what they were compiled from (another thread compiles the same). */
export interface CompareSettings {
  readonly rules: CompareRules;
  readonly config: CompareRuleConfig;
}

/** The route's overrides of the judge's defaults. */
export type JudgeOverrides = Readonly<z.output<typeof judgeSchema>>;


/** Compile a route's validated `compare` object; throws (a bad path pattern) with the reason. */
export function compileCompareSettings(routeId: string, config: z.output<typeof compareSchema>): CompareSettings {
  return Object.freeze({ rules: compileCompareRules(routeId, config), config: Object.freeze(config) });
}

/** A route's judge settings: the environment's defaults (JUDGE_*), then the route's overrides. */
export function judgeSettings(overrides: JudgeOverrides, defaults: JudgeSettings): JudgeSettings {
  return withOverrides(defaults, overrides);
}

/** A route's declared rollout plan (`rollout`), compiled; the proxy's leader starts it once. */
export const routeRolloutSchema = rolloutSchema.optional();

export function compileRollout(config: z.output<typeof routeRolloutSchema>): RolloutSpec | null {
  return config === undefined ? null : specFromConfig(config);
}
