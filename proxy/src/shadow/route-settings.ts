/**
 * Per-route settings for shadowing, comparison and judging, read from the route table's opaque
 * `shadow`, `compare` and `judge` objects (the core validates everything else) on top of defaults
 * from the environment:
 *
 *   { "id": "ml-predict", …,
 *     "shadow":  { "allowWithIdempotencyKey": false, "calibrationRate": 0.01 },
 *     "compare": { "ignore": ["model_info.loaded_from"], "tolerance": [{ "path": "confidence", "absolute": 1e-4 }] },
 *     "judge":   { "maxMismatchRate": 0.02, "failuresToRollback": 5 } }
 *
 * Parsed once per compiled Route (cached by object identity: a reload makes new Route objects), so
 * the hot path reads a frozen object. `validateRouteSettings` lists every problem of a table.
 */
import { z } from 'zod';
import { compileCompareRules, type CompareRuleConfig, type CompareRules } from '../compare/compare-rules.js';
import { DEFAULT_THRESHOLDS, type JudgeThresholds } from '../analysis/judge.js';
import type { Route, RouteTable } from '../routing/route-table.js';

const nonNegative = z.number().finite().min(0);
const pathList = z.array(z.string().min(1)).max(200);

const shadowSchema = z
  .object({
    /** Mirror this route at all (the shadow flag still decides the share). */
    enabled: z.boolean().default(true),
    /** On a non-idempotent route, mirror requests that carry an Idempotency-Key. */
    allowWithIdempotencyKey: z.boolean().default(false),
    /** Share of mirrored requests whose legacy answer is also fetched twice, to learn noise. */
    calibrationRate: z.number().min(0).max(1).default(0),
  })
  .strict();

const compareSchema = z
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
  .strict();

const judgeSchema = z
  .object({
    minPairs: z.number().int().min(1).optional(),
    confidence: z.number().gt(0.5).lt(1).optional(),
    maxMismatchRate: z.number().min(0).max(1).optional(),
    maxErrorRateIncrease: z.number().min(0).max(1).optional(),
    latencyTest: z.enum(['wilcoxon', 'bootstrap-p95']).optional(),
    maxLatencyRatio: z.number().gt(0).optional(),
    latencyAlpha: z.number().gt(0).lt(0.5).optional(),
    bootstrapIterations: z.number().int().min(50).max(10_000).optional(),
    seed: z.number().int().optional(),
    failuresToRollback: z.number().int().min(1).max(1000).optional(),
  })
  .strict();

/** Everything shadow/, compare/ and analysis/ need to know about one route. */
export interface RouteSettings {
  readonly enabled: boolean;
  readonly allowWithIdempotencyKey: boolean;
  readonly calibrationRate: number;
  readonly compare: CompareRules;
  /** What `compare` was compiled from (for another thread to compile the same rules). */
  readonly compareConfig: CompareRuleConfig;
  readonly thresholds: JudgeThresholds;
  readonly failuresToRollback: number;
}

/** Defaults from the environment (every route starts from these). */
export interface SettingsDefaults {
  readonly thresholds: JudgeThresholds;
  readonly failuresToRollback: number;
}

export const BUILT_IN_DEFAULTS: SettingsDefaults = Object.freeze({ thresholds: DEFAULT_THRESHOLDS, failuresToRollback: 3 });

function issues(where: string, error: z.ZodError): string[] {
  return error.issues.map((i) => `${where}${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}: ${i.message}`);
}

/** Parse one route's settings; throws an Error listing every problem. */
export function parseRouteSettings(route: Route, defaults: SettingsDefaults = BUILT_IN_DEFAULTS): RouteSettings {
  const problems: string[] = [];
  const shadow = shadowSchema.safeParse(route.shadow ?? {});
  const compare = compareSchema.safeParse(route.compare ?? {});
  const judge = judgeSchema.safeParse(route.judge ?? {});
  if (!shadow.success) problems.push(...issues(`routes[${route.id}].shadow`, shadow.error));
  if (!compare.success) problems.push(...issues(`routes[${route.id}].compare`, compare.error));
  if (!judge.success) problems.push(...issues(`routes[${route.id}].judge`, judge.error));
  let rules: CompareRules | null = null;
  let ruleConfig: CompareRuleConfig = {};
  if (compare.success) {
    try {
      ruleConfig = compare.data;
      rules = compileCompareRules(route.id, compare.data);
    } catch (err) {
      problems.push(`routes[${route.id}].compare: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0 || !shadow.success || !judge.success || rules === null) throw new Error(problems.join('; '));
  const { failuresToRollback, ...thresholds } = judge.data;
  return Object.freeze({
    ...shadow.data,
    compare: rules,
    compareConfig: Object.freeze(ruleConfig),
    thresholds: Object.freeze({ ...defaults.thresholds, ...thresholds }),
    failuresToRollback: failuresToRollback ?? defaults.failuresToRollback,
  });
}

/** Every problem in a table's shadow/compare/judge objects (empty when all are valid). */
export function validateRouteSettings(table: RouteTable, defaults: SettingsDefaults = BUILT_IN_DEFAULTS): string[] {
  const problems: string[] = [];
  for (const route of table.routes) {
    try {
      parseRouteSettings(route, defaults);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return problems;
}

/** Settings per Route object, parsed once; a route whose settings are invalid gets the defaults. */
export class RouteSettingsCache {
  private readonly cache = new WeakMap<Route, RouteSettings>();

  constructor(
    private readonly defaults: SettingsDefaults = BUILT_IN_DEFAULTS,
    private readonly onInvalid: (routeId: string, message: string) => void = () => undefined,
  ) {}

  get(route: Route): RouteSettings {
    let s = this.cache.get(route);
    if (s === undefined) {
      try {
        s = parseRouteSettings(route, this.defaults);
      } catch (err) {
        this.onInvalid(route.id, (err as Error).message);
        s = Object.freeze({
          enabled: true,
          allowWithIdempotencyKey: false,
          calibrationRate: 0,
          compare: compileCompareRules(route.id),
          compareConfig: Object.freeze({}),
          thresholds: this.defaults.thresholds,
          failuresToRollback: this.defaults.failuresToRollback,
        });
      }
      this.cache.set(route, s);
    }
    return s;
  }
}
