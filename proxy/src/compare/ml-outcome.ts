/**
 * ML-aware outcomes of one pair: beyond "the JSON differs", did the two models *agree*?
 *
 *   predict  label agreement on `prediction[0]`, |Δ confidence|
 *   anomaly  agreement of the flagged sets, keyed by sensor_id + evidence.sensor_value
 *   drift    agreement of the `drift_detected` verdict
 *
 * Every outcome carries both sides' `model_info.model_version`, so reports group agreement by the
 * model versions actually compared (a new model version is a different experiment).
 */

export type MlKind = 'predict' | 'anomaly' | 'drift';

/** The ML reading of one pair; fields not meaningful for the kind are null. */
export interface MlOutcome {
  readonly kind: MlKind;
  readonly controlVersion: string | null;
  readonly candidateVersion: string | null;
  /** predict: did `prediction[0]` agree? */
  readonly labelAgree: boolean | null;
  /** predict: each side's `prediction[0]` as JSON text (capped), for the confusion matrix. */
  readonly controlLabel: string | null;
  readonly candidateLabel: string | null;
  /** predict: |confidence(control) − confidence(candidate)|. */
  readonly confidenceDelta: number | null;
  /** anomaly: were the same readings flagged? */
  readonly flaggedAgree: boolean | null;
  readonly flaggedControl: number | null;
  readonly flaggedCandidate: number | null;
  /** drift: same `drift_detected` verdict? */
  readonly driftAgree: boolean | null;
}

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}

function version(body: Obj | null): string | null {
  const info = obj(body?.model_info);
  const v = info?.model_version;
  return typeof v === 'string' || typeof v === 'number' ? String(v).slice(0, 64) : null;
}

function label(body: Obj | null): string | null {
  const p = body?.prediction;
  const first = Array.isArray(p) ? p[0] : p;
  return first === undefined || (first !== null && typeof first === 'object') ? null : JSON.stringify(first);
}

// Labels are class ids; a long one is cut so the label rollup stays small.
const MAX_LABEL = 40;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Readings flagged by one answer, as `sensor_id|value` strings; null when the shape is not there. */
const MAX_FLAGGED = 10_000;
function flagged(body: Obj | null): Set<string> | null {
  const list = body?.anomalies_detected;
  if (!Array.isArray(list)) return null;
  const out = new Set<string>();
  for (const item of list.slice(0, MAX_FLAGGED)) {
    const a = obj(item);
    const evidence = obj(a?.evidence);
    out.add(`${String(a?.sensor_id)}|${String(evidence?.sensor_value)}`);
  }
  return out;
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** The ML outcome of two parsed 2xx bodies of a route of `kind`. Pure. */
export function mlOutcome(kind: MlKind, control: unknown, candidate: unknown): MlOutcome {
  const c = obj(control);
  const d = obj(candidate);
  const base = {
    kind,
    controlVersion: version(c),
    candidateVersion: version(d),
    labelAgree: null,
    controlLabel: null,
    candidateLabel: null,
    confidenceDelta: null,
    flaggedAgree: null,
    flaggedControl: null,
    flaggedCandidate: null,
    driftAgree: null,
  };
  if (kind === 'predict') {
    const la = label(c);
    const lb = label(d);
    const ca = num(c?.confidence);
    const cb = num(d?.confidence);
    return Object.freeze({
      ...base,
      labelAgree: la === null || lb === null ? null : la === lb,
      controlLabel: la === null ? null : la.slice(0, MAX_LABEL),
      candidateLabel: lb === null ? null : lb.slice(0, MAX_LABEL),
      confidenceDelta: ca === null || cb === null ? null : Math.abs(ca - cb),
    });
  }
  if (kind === 'anomaly') {
    const fa = flagged(c);
    const fb = flagged(d);
    return Object.freeze({
      ...base,
      flaggedAgree: fa && fb ? sameSet(fa, fb) : null,
      flaggedControl: fa ? fa.size : null,
      flaggedCandidate: fb ? fb.size : null,
    });
  }
  const da = c?.drift_detected;
  const db = d?.drift_detected;
  return Object.freeze({ ...base, driftAgree: typeof da === 'boolean' && typeof db === 'boolean' ? da === db : null });
}
