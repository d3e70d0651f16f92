/**
 * What happens to a completed pair (the serving answer + the mirrored one), off the client's path:
 *
 *   compare (pure, frozen result) -> judge window (in memory) -> recorder queue (PostgreSQL)
 *
 * and, for calibration samples, legacy-vs-legacy diffs (no rules) -> noise calibrator.
 * Like github/scientist's `raised(operation, error)`, every internal failure goes to one hook and
 * never reaches a client.
 */
import type { Logger } from '@smp/platform';
import type { PairSample } from '../analysis/judge.js';
import { compareExchange, type ComparisonResult, type Observation } from '../compare/comparator.js';
import { diffJson } from '../compare/json-diff.js';
import type { Diff } from '../compare/json-diff.js';
import { PathRules } from '../compare/path-rules.js';
import type { CompareRules } from '../compare/compare-rules.js';
import type { ComparisonRecord, ComparisonRecorder } from '../report/comparison-recorder.js';

/** A pair ready to be compared: legacy is always the control. */
export interface CompletedPair {
  readonly routeId: string;
  readonly mode: 'shadow' | 'live';
  readonly method: string;
  readonly requestId: string;
  readonly livePercent: number;
  readonly shadowPercent: number;
  readonly legacy: Observation;
  readonly candidate: Observation;
  readonly rules: CompareRules;
  /** Wall clock (ms) of the pair, for records and windows. */
  readonly at: number;
}

/** Where the pipeline's results go (the judge's windows, the noise calibrator, metrics): narrow, so they may live on another thread. */
export interface PairSinks {
  windows: { add(routeId: string, sample: PairSample, atMs: number): void };
  calibrator: { observe(routeId: string, diffs: readonly Diff[]): void };
  metrics: { comparison(routeId: string, result: ComparisonResult): void; calibrated(routeId: string): void; raised(operation: string): void };
}

export interface PairPipelineOptions extends PairSinks {
  recorder: ComparisonRecorder | null;
  logger: Pick<Logger, 'warn'>;
  /** Bytes of each body stored with a mismatch. */
  sampleBodyBytes: number;
}

const RAW_RULES = new PathRules();
const isError = (o: Observation) => o.status === null || o.status >= 500;

function sample(o: Observation, max: number): string | null {
  if (o.status === null || o.body.length === 0) return null;
  const text = o.body.subarray(0, max).toString('utf8');
  return o.body.length > max || o.truncated ? `${text}…` : text;
}

export class PairPipeline {
  constructor(private readonly options: PairPipelineOptions) {}

  /** Compare, feed the judge's window, queue the record. Never throws. */
  process(pair: CompletedPair): ComparisonResult | null {
    try {
      const { windows, recorder, metrics, sampleBodyBytes } = this.options;
      const result = compareExchange(pair.legacy, pair.candidate, pair.rules);
      const at = pair.at;
      metrics.comparison(pair.routeId, result);
      windows.add(
        pair.routeId,
        {
          outcome: result.outcome,
          legacyLatencyMs: pair.legacy.status === null ? null : pair.legacy.latencyMs,
          candidateLatencyMs: pair.candidate.status === null ? null : pair.candidate.latencyMs,
          legacyError: isError(pair.legacy),
          candidateError: isError(pair.candidate),
        },
        at,
      );
      if (recorder) {
        const mismatch = result.outcome === 'mismatch';
        const record: ComparisonRecord = {
          routeId: pair.routeId,
          at,
          mode: pair.mode,
          requestId: pair.requestId,
          method: pair.method,
          livePercent: pair.livePercent,
          shadowPercent: pair.shadowPercent,
          legacy: { status: pair.legacy.status, error: pair.legacy.error, latencyMs: round(pair.legacy.latencyMs) },
          candidate: { status: pair.candidate.status, error: pair.candidate.error, latencyMs: round(pair.candidate.latencyMs) },
          result,
          legacyBody: mismatch ? sample(pair.legacy, sampleBodyBytes) : null,
          candidateBody: mismatch ? sample(pair.candidate, sampleBodyBytes) : null,
        };
        recorder.enqueue(record);
      }
      return result;
    } catch (err) {
      this.raised('process', err);
      return null;
    }
  }

  /** Two legacy answers to one request: whatever differs between them is noise. Never throws. */
  calibrate(routeId: string, primary: Observation, secondary: Observation): void {
    try {
      if (primary.status === null || secondary.status === null || primary.truncated || secondary.truncated) return;
      let a: unknown;
      let b: unknown;
      try {
        a = JSON.parse(primary.body.toString('utf8'));
        b = JSON.parse(secondary.body.toString('utf8'));
      } catch {
        return;
      }
      const walked = diffJson(a, b, RAW_RULES, { maxDepth: 64, maxNodes: 100_000, maxDiffs: 200 });
      if (!walked.compared) return;
      this.options.calibrator.observe(routeId, walked.diffs);
      this.options.metrics.calibrated(routeId);
    } catch (err) {
      this.raised('calibrate', err);
    }
  }

  /** The one place internal failures go (scientist's `raised`). */
  raised(operation: string, err: unknown): void {
    this.options.metrics.raised(operation);
    this.options.logger.warn('shadow pipeline failed', { operation, error: (err as Error)?.message });
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
