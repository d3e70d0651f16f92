/**
 * The comparator judges ONE pair: what the control (legacy) answered and what the candidate
 * answered to the same request. Like github/scientist, each side is an immutable Observation
 * (status or error, latency, headers, a capped body) and the Result is computed once and frozen:
 *
 *   compareExchange(legacy, candidate, compileCompareRules('ml-predict'))
 *   // { outcome: 'mismatch', diffs: [{ path: 'prediction[0]', kind: 'value', control: 1, candidate: 0 }],
 *   //   ml: { labelAgree: false, confidenceDelta: 0.12, … } }
 *
 * Outcomes: `match`, `mismatch`, or `not-compared` with a reason (both sides failed, a body was
 * larger than the capture cap, a document too deep or too big to walk). Pure and total: any input,
 * including garbage bytes, yields a result.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CompareRules } from './compare-rules.js';
import { DEFAULT_DIFF_LIMITS, diffJson, type Diff, type DiffLimits } from './json-diff.js';
import { mlOutcome, type MlOutcome } from './ml-outcome.js';

/** What one side answered. `status` null means no answer at all (`error` says why). */
export interface Observation {
  readonly status: number | null;
  /** Bounded reason when there was no answer: `timeout`, `connect`, `reset`, `aborted`… */
  readonly error: string | null;
  readonly latencyMs: number;
  readonly headers: IncomingHttpHeaders;
  /** A copy of the body, at most the capture cap. */
  readonly body: Buffer;
  /** The body was longer than the cap (so `body` is a prefix). */
  readonly truncated: boolean;
}

export type Outcome = 'match' | 'mismatch' | 'not-compared';
export type NotComparedReason = 'both-failed' | 'body-too-large' | 'too-deep' | 'too-much-work';

/** The frozen verdict on one pair. */
export interface ComparisonResult {
  readonly outcome: Outcome;
  readonly reason: NotComparedReason | null;
  /** The first differences (bounded); `diffCount` counts them all. */
  readonly diffs: readonly Diff[];
  readonly diffCount: number;
  readonly ml: MlOutcome | null;
}

const EMPTY_DIFFS: readonly Diff[] = Object.freeze([]);

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v.join(', ') : String(v)).trim();
}

function isJson(headers: IncomingHttpHeaders): boolean {
  const ct = headerValue(headers, 'content-type');
  return ct !== undefined && /[/+]json\b/i.test(ct);
}

const NOT_PARSED = Symbol('not-parsed');

function parse(body: Buffer): unknown {
  if (body.length === 0) return NOT_PARSED;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return NOT_PARSED;
  }
}

function result(outcome: Outcome, reason: NotComparedReason | null, diffs: readonly Diff[], diffCount: number, ml: MlOutcome | null): ComparisonResult {
  return Object.freeze({ outcome, reason, diffs: Object.isFrozen(diffs) ? diffs : Object.freeze(diffs), diffCount, ml });
}

function meta(path: string, kind: Diff['kind'], control: Diff['control'], candidate: Diff['candidate']): Diff {
  return Object.freeze({ path, generalized: path, kind, control, candidate });
}

/** Compare one pair under a route's rules. Pure; never throws. */
export function compareExchange(control: Observation, candidate: Observation, rules: CompareRules, limits: DiffLimits = DEFAULT_DIFF_LIMITS): ComparisonResult {
  if (control.status === null && candidate.status === null) return result('not-compared', 'both-failed', EMPTY_DIFFS, 0, null);
  if (control.status === null || candidate.status === null) {
    const d = meta('$status', 'value', control.status ?? `error: ${control.error ?? 'unknown'}`, candidate.status ?? `error: ${candidate.error ?? 'unknown'}`);
    return result('mismatch', null, Object.freeze([d]), 1, null);
  }

  const diffs: Diff[] = [];
  let count = 0;
  const add = (d: Diff) => {
    count++;
    if (diffs.length < limits.maxDiffs) diffs.push(d);
  };
  if (control.status !== candidate.status) add(meta('$status', 'value', control.status, candidate.status));
  for (const name of rules.headers) {
    const a = headerValue(control.headers, name);
    const b = headerValue(candidate.headers, name);
    if (a === b) continue;
    const kind = a === undefined ? 'extra' : b === undefined ? 'missing' : 'value';
    add(meta(`$headers.${name}`, kind, a ?? null, b ?? null));
  }

  if (control.truncated || candidate.truncated) {
    // Half a body cannot be compared; a pair already known to differ still counts as a mismatch.
    return count > 0 ? result('mismatch', null, diffs, count, null) : result('not-compared', 'body-too-large', EMPTY_DIFFS, 0, null);
  }

  const jsonA = isJson(control.headers) ? parse(control.body) : NOT_PARSED;
  const jsonB = isJson(candidate.headers) ? parse(candidate.body) : NOT_PARSED;
  let ml: MlOutcome | null = null;
  if (jsonA !== NOT_PARSED && jsonB !== NOT_PARSED) {
    const walked = diffJson(jsonA, jsonB, rules.paths, limits);
    if (!walked.compared) return result('not-compared', walked.reason, EMPTY_DIFFS, 0, null);
    for (const d of walked.diffs) add(d);
    count += walked.diffCount - walked.diffs.length;
    const ok = (s: number) => s >= 200 && s < 300;
    if (rules.ml && ok(control.status) && ok(candidate.status)) ml = mlOutcome(rules.ml, jsonA, jsonB);
  } else if (jsonA !== NOT_PARSED || jsonB !== NOT_PARSED) {
    add(meta('$body', 'type', jsonA === NOT_PARSED ? 'not JSON' : 'JSON', jsonB === NOT_PARSED ? 'not JSON' : 'JSON'));
  } else if (!control.body.equals(candidate.body)) {
    add(meta('$body', 'value', `${control.body.length} bytes`, `${candidate.body.length} bytes`));
  }
  return result(count > 0 ? 'mismatch' : 'match', null, diffs, count, ml);
}
