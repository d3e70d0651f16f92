/**
 * Per-route comparison rules: which headers to compare, which JSON paths to ignore or compare with
 * a tolerance or without order, and which ML reading applies. The three ML routes ship defaults
 * under which the *same* model on both sides compares equal: the fresh `request_id` and the
 * server-made times differ on every call, alert ids are new UUIDs, and floats computed by two
 * implementations may differ in the last bits.
 *
 *   compileCompareRules('ml-predict', { ignore: ['model_info.loaded_from'] })
 *   // defaults for ml-predict plus one more ignored path; route rules are appended, so they win
 */
import type { MlKind } from './ml-outcome.js';
import { PathRules, type PathRuleConfig } from './path-rules.js';

/** Rules as written in configuration for one route. */
export interface CompareRuleConfig extends PathRuleConfig {
  /** Response headers compared (lower-case names). Default: content-type. */
  readonly headers?: readonly string[];
  readonly ml?: MlKind;
  /** Replace the built-in defaults instead of adding to them. */
  readonly replaceDefaults?: boolean;
}

/** Compiled, frozen rules of one route. */
export interface CompareRules {
  readonly paths: PathRules;
  readonly headers: readonly string[];
  readonly ml: MlKind | null;
}

const FLOAT = { absolute: 1e-6, relative: 1e-6 };

/** Defaults for the routes the migration starts with; other routes compare everything exactly. */
export const DEFAULT_COMPARE_RULES: Readonly<Record<string, CompareRuleConfig>> = Object.freeze({
  'ml-predict': {
    ml: 'predict',
    ignore: ['request_id', 'timestamp'],
    tolerance: [
      { path: 'confidence', ...FLOAT },
      { path: 'shap_values.*', absolute: 1e-6, relative: 1e-4 },
      { path: 'feature_importance.*', absolute: 1e-6, relative: 1e-4 },
    ],
  },
  'ml-anomaly': {
    ml: 'anomaly',
    ignore: ['request_id', 'analysis_timestamp', 'anomalies_detected[*].id', 'anomalies_detected[*].created_at'],
    tolerance: [
      { path: 'anomalies_detected[*].confidence', ...FLOAT },
      { path: 'anomalies_detected[*].evidence.quality_score', ...FLOAT },
      { path: 'anomalies_detected[*].evidence.feature_vector.*', ...FLOAT },
    ],
  },
  'ml-drift': {
    ml: 'drift',
    ignore: ['request_id', 'evaluated_at'],
    tolerance: [
      { path: 'ks_statistic', absolute: 1e-9, relative: 1e-9 },
      { path: 'p_value', absolute: 1e-9, relative: 1e-6 },
    ],
  },
});

const DEFAULT_HEADERS = Object.freeze(['content-type']);

/** Compile the rules of `routeId`: built-in defaults (unless replaced) then `config`. Throws on a bad pattern. */
export function compileCompareRules(routeId: string, config: CompareRuleConfig = {}): CompareRules {
  const base = config.replaceDefaults ? {} : (DEFAULT_COMPARE_RULES[routeId] ?? {});
  const paths = new PathRules({
    ignore: [...(base.ignore ?? []), ...(config.ignore ?? [])],
    tolerance: [...(base.tolerance ?? []), ...(config.tolerance ?? [])],
    unordered: [...(base.unordered ?? []), ...(config.unordered ?? [])],
  });
  const headers = Object.freeze((config.headers ?? base.headers ?? DEFAULT_HEADERS).map((h) => h.toLowerCase()));
  return Object.freeze({ paths, headers, ml: config.ml ?? base.ml ?? null });
}
