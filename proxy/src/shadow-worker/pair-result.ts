/**
 * What one completed pair (legacy's answer and the candidate's, to the same request) becomes, as a
 * pure function of the pair: the comparison, the judge's sample, the record for PostgreSQL.
 *
 *   const { comparison, sample, record } = pairResult(pair, 4096)
 *
 * and, for a calibration sample (legacy asked twice), the paths that differ between the two
 * answers with no rules applied: `noiseDiffs(first, second)` (null when not comparable).
 */
import type { JudgePair } from '../analysis/judge-evidence.js';
import { compareExchange, type ComparisonResult, type Observation } from '../compare/comparator.js';
import type { CompareRules } from '../compare/compare-rules.js';
import { diffJson, type Diff } from '../compare/json-diff.js';
import { PathRules } from '../compare/path-rules.js';
import type { ComparisonRecord, RecordedRequest } from '../report/comparison-recorder.js';
import type { WirePair } from '../shadow/worker-protocol.js';

/** The mirrored request's parts a mismatch's record keeps (the URL comes with the pair's facts). */
export interface PairRequest {
  readonly contentType: string | null;
  /** As the client sent it (the tap copies it whole; GET and HEAD carry none). */
  readonly body: Buffer | null;
}

/** A pair ready to be compared: legacy is always the control. */
export interface Pair {
  readonly routeId: string;
  /** Facts known on the serving thread (mode, request id, percentages, time). */
  readonly facts: WirePair;
  readonly legacy: Observation;
  readonly candidate: Observation;
  readonly rules: CompareRules;
  /** The request both sides answered; null when unknown. */
  readonly request: PairRequest | null;
}

export interface PairResult {
  readonly comparison: ComparisonResult;
  readonly sample: JudgePair;
  readonly record: ComparisonRecord;
}

const RAW_RULES = new PathRules();
const isError = (o: Observation) => o.status === null || o.status >= 500;

/** At most `max` bytes of a body, for a mismatch's record (… when cut). */
function capped(body: Buffer | null, truncated: boolean, max: number): string | null {
  if (body === null || body.length === 0) return null;
  const text = body.subarray(0, max).toString('utf8');
  return body.length > max || truncated ? `${text}…` : text;
}

function bodySample(o: Observation, max: number): string | null {
  return o.status === null ? null : capped(o.body, o.truncated, max);
}

function requestSample(facts: WirePair, request: PairRequest | null, max: number): RecordedRequest {
  return { url: facts.url, contentType: request?.contentType ?? null, body: capped(request?.body ?? null, false, max) };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Compare the pair; the judge's sample and the record follow from it. `sampleBodyBytes`: body bytes kept with a mismatch. */
export function pairResult(pair: Pair, sampleBodyBytes: number): PairResult {
  const { legacy, candidate, facts } = pair;
  const comparison = compareExchange(legacy, candidate, pair.rules);
  const mismatch = comparison.outcome === 'mismatch';
  return {
    comparison,
    sample: {
      outcome: comparison.outcome,
      legacyLatencyMs: legacy.status === null ? null : legacy.latencyMs,
      candidateLatencyMs: candidate.status === null ? null : candidate.latencyMs,
      legacyError: isError(legacy),
      candidateError: isError(candidate),
      id: facts.requestId,
    },
    record: {
      routeId: pair.routeId,
      at: facts.at,
      mode: facts.mode,
      requestId: facts.requestId,
      method: facts.method,
      livePercent: facts.livePercent,
      shadowPercent: facts.shadowPercent,
      variant: facts.variant,
      legacy: { status: legacy.status, error: legacy.error, latencyMs: round(legacy.latencyMs) },
      candidate: { status: candidate.status, error: candidate.error, latencyMs: round(candidate.latencyMs) },
      result: comparison,
      legacyBody: mismatch ? bodySample(legacy, sampleBodyBytes) : null,
      candidateBody: mismatch ? bodySample(candidate, sampleBodyBytes) : null,
      request: mismatch ? requestSample(facts, pair.request, sampleBodyBytes) : null,
    },
  };
}

/** Two legacy answers to one request: whatever differs between them is noise. Null when either is not JSON or not whole. */
export function noiseDiffs(first: Observation, second: Observation): readonly Diff[] | null {
  if (first.status === null || second.status === null || first.truncated || second.truncated) return null;
  let a: unknown;
  let b: unknown;
  try {
    a = JSON.parse(first.body.toString('utf8'));
    b = JSON.parse(second.body.toString('utf8'));
  } catch {
    return null;
  }
  const walked = diffJson(a, b, RAW_RULES, { maxDepth: 64, maxNodes: 100_000, maxDiffs: 200 });
  return walked.compared ? walked.diffs : null;
}
