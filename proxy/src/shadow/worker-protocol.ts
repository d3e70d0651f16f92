/**
 * The messages between the serving thread and the shadow worker thread (see shadow-worker.ts).
 *
 *   serving thread                                  shadow worker
 *   ─ start  {id, mirror request(s)}  ───────────►  dispatch the mirror (own pools, timeout)
 *   ─ served {id, serving answer, pair facts} ────►  pair it with the mirror's answer,
 *   ─ cancel {id}                     ───────────►  compare, record (PostgreSQL, batched)
 *   ◄─ events: mirror result, comparison outcome, window sample, noise diffs, done {id},
 *              records written / dropped, queue depth, internal failures
 *
 * Messages travel in batches, one postMessage per event-loop turn. A batch's bodies are packed into
 * one fresh ArrayBuffer that is transferred, not copied: cloning a Buffer would copy its whole
 * backing store (a socket read's slab, 64 KiB) for a body of a few hundred bytes.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { PairSample } from '../analysis/judge.js';
import type { CompareRuleConfig } from '../compare/compare-rules.js';
import type { Outcome, NotComparedReason } from '../compare/comparator.js';
import type { Diff } from '../compare/json-diff.js';
import type { DropReason } from '../report/comparison-recorder.js';
import type { Target } from '../exchange.js';
import type { MirrorClientOptions } from './mirror-client.js';
import type { SkipReason } from './shadow-metrics.js';

/** Where a body lies in its batch's packed bytes; null when there is none. */
export type BodyRef = readonly [offset: number, length: number] | null;

export interface WireRequest {
  readonly origin: string;
  readonly path: string;
  readonly method: string;
  readonly headers: string[];
  readonly body: BodyRef;
}

export interface WireObservation {
  readonly status: number | null;
  readonly error: string | null;
  readonly latencyMs: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: BodyRef;
  readonly truncated: boolean;
}

/** Facts of the pair known on the serving thread. */
export interface WirePair {
  readonly mode: 'shadow' | 'live';
  readonly method: string;
  readonly requestId: string;
  readonly livePercent: number;
  readonly shadowPercent: number;
  /** Wall clock (ms) when the serving side completed: the pair's time in records and windows. */
  readonly at: number;
}

export type ToWorker =
  | {
      readonly t: 'start';
      readonly id: number;
      readonly routeId: string;
      readonly mirrorSide: Target;
      readonly mirror: WireRequest;
      /** Calibration: legacy asked a second time. */
      readonly secondary: WireRequest | null;
    }
  | { readonly t: 'served'; readonly id: number; readonly serving: WireObservation; readonly pair: WirePair; readonly rules: string }
  | { readonly t: 'rules'; readonly key: string; readonly routeId: string; readonly config: CompareRuleConfig }
  | { readonly t: 'cancel'; readonly id: number }
  | { readonly t: 'schema'; readonly ready: boolean }
  /** Write the queued records now; answered by `flushed` with the same token. */
  | { readonly t: 'flush'; readonly token: number }
  /** Finish: cancel mirrors, write what is queued, close pools; answered by a batch marked `closed`. */
  | { readonly t: 'close' };

/** A pair's comparison, as the serving thread's metrics and judge need it. */
export interface WireComparison {
  outcome: Outcome;
  reason: NotComparedReason | null;
  sample: PairSample | null;
  at: number;
}

export type FromWorker =
  /**
   * Exchange `id` is finished (its budget slot is free): how its mirror ended (null: never sent or
   * cancelled first) and, when the pair was compared, the comparison. One event per exchange.
   */
  | { readonly t: 'pair'; readonly id: number; readonly route: string; readonly side: Target; readonly mirror: string | null; readonly comparison: WireComparison | null }
  | { readonly t: 'noise'; readonly route: string; readonly diffs: readonly Diff[] }
  | { readonly t: 'skip'; readonly route: string; readonly reason: SkipReason }
  | { readonly t: 'raised'; readonly operation: string }
  | { readonly t: 'log'; readonly level: 'info' | 'warn'; readonly message: string; readonly meta: Record<string, unknown> }
  | { readonly t: 'flushed'; readonly token: number }
  | { readonly t: 'written'; readonly count: number }
  | { readonly t: 'dropped'; readonly reason: DropReason; readonly count: number };

export interface ToWorkerBatch {
  readonly messages: ToWorker[];
  readonly bytes: ArrayBuffer | null;
}

export interface FromWorkerBatch {
  readonly events: FromWorker[];
  /** Comparison records waiting to be written. */
  readonly queued: number;
  /** Set once, in answer to a close request: everything queued was written or dropped. */
  readonly closed?: boolean;
}

/** What the worker is started with (workerData). */
export interface WorkerInit {
  readonly mirror: MirrorClientOptions;
  /** null: no recording (DATABASE_URL unset). */
  readonly databaseUrl: string | null;
  readonly recorder: { readonly maxQueue: number; readonly batchSize: number; readonly flushMs: number };
  readonly sampleBodyBytes: number;
  /** Pairs after the worker's start whose latencies the judge does not see (ShadowWorkerCore). */
  readonly latencyWarmupPairs: number;
  /** Niceness the worker thread sets on itself (0: none). */
  readonly nice: number;
  /** OTLP endpoint and service name for the mirror's spans; null: tracing off. */
  readonly tracing: { readonly endpoint: string; readonly service: string } | null;
}

/**
 * Collects buffers for one batch and packs them into one transferable ArrayBuffer.
 *
 *   const packer = new BodyPacker();
 *   const ref = packer.add(body);     // [offset, length] once packed
 *   const bytes = packer.pack();      // null when no body was added
 */
export class BodyPacker {
  private parts: Buffer[] = [];
  private size = 0;

  add(body: Buffer | null): BodyRef {
    if (body === null || body.length === 0) return null;
    const ref = [this.size, body.length] as const;
    this.parts.push(body);
    this.size += body.length;
    return ref;
  }

  pack(): ArrayBuffer | null {
    if (this.size === 0) return null;
    const out = Buffer.allocUnsafeSlow(this.size);
    let at = 0;
    for (const p of this.parts) {
      p.copy(out, at);
      at += p.length;
    }
    this.parts = [];
    this.size = 0;
    return out.buffer as ArrayBuffer;
  }
}

const EMPTY = Buffer.alloc(0);

/** The body a ref points at in the batch's bytes (a view, no copy). */
export function bodyOf(bytes: ArrayBuffer | null, ref: BodyRef): Buffer {
  if (ref === null || bytes === null) return EMPTY;
  return Buffer.from(bytes, ref[0], ref[1]);
}
