/**
 * The one file the serving side (shadow/: tap, link) and the worker side (shadow-worker/: worker,
 * mirror client) share: the messages between the two threads, how a batch carries its bodies, and
 * the batching scheduler both sides use.
 *
 *   serving thread (ShadowLink)                     shadow worker (ShadowWorkerCore)
 *   ─ start  {id, mirror request(s)}  ───────────►  dispatch the mirror (own pools, timeout)
 *   ─ served {id, serving answer, pair facts} ────►  pair it with the mirror's answer,
 *   ─ cancel {id}                     ───────────►  compare, record (PostgreSQL, batched)
 *   ◄─ pair {id, mirror result, comparison + judge sample}   (one per exchange: frees its budget slot)
 *   ◄─ noise diffs, records written / dropped, queue depth, internal failures, log lines
 *
 * Messages travel in batches (BatchScheduler: at most one postMessage per gap). A batch's bodies are
 * packed into one fresh ArrayBuffer that is transferred, not copied: cloning a Buffer would copy its
 * whole backing store (a socket read's slab, 64 KiB) for a body of a few hundred bytes.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { JudgePair } from '../analysis/judge-evidence.js';
import type { CompareRuleConfig } from '../compare/compare-rules.js';
import type { Outcome, NotComparedReason } from '../compare/comparator.js';
import type { Diff } from '../compare/json-diff.js';
import type { DropReason } from '../report/comparison-recorder.js';
import type { Target } from '../exchange.js';

/** Where a body lies in its batch's packed bytes; null when there is none. */
export type BodyRef = readonly [offset: number, length: number] | null;

/** A request to mirror, as the tap builds it and the worker's mirror client sends it. */
export interface MirrorRequest {
  readonly origin: string;
  readonly path: string;
  readonly method: string;
  /** Flat list [name, value, …]. */
  readonly headers: string[];
  readonly body: Buffer | null;
}

/** The mirror client's settings (the worker's own pools). */
export interface MirrorSettings {
  /** Keep-alive connections per upstream origin. */
  readonly connections: number;
  readonly connectTimeoutMs: number;
  /** The whole mirrored request, from dispatch to the last byte. */
  readonly timeoutMs: number;
  /** Bytes of each mirrored answer kept for comparison. */
  readonly bodyCap: number;
}

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
  /** Path and query as the client sent them (before any rewrite), for a mismatch's record. */
  readonly url: string;
  readonly requestId: string;
  readonly livePercent: number;
  readonly shadowPercent: number;
  /** The flag variant the candidate answered with (live: the live flag's; shadow: the shadow flag's), null: none. */
  readonly variant: string | null;
  /** Wall clock (ms) when the serving side completed: the pair's time in records and windows. */
  readonly at: number;
  /** The serving thread's worst event-loop lag (ms) while it timed its side (event-loop-lag.ts). */
  readonly servingLagMs: number;
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

/**
 * Why a compared pair is not full evidence for the judge (bounded metric label;
 * shadow-worker/timing-quality.ts): its latencies were left out (`warmup`, `lag`, `saturated`), or
 * the whole pair was (`timeout`: a timeout timed through our own lag).
 */
export type Unscored = 'warmup' | 'lag' | 'saturated' | 'timeout';

/** A pair's comparison, as the serving thread's metrics and judge need it. */
export interface WireComparison {
  outcome: Outcome;
  reason: NotComparedReason | null;
  sample: JudgePair | null;
  /** Why the judge's sample lacks latencies, or is null although the pair was compared. Null: scored in full. */
  unscored: Unscored | null;
  at: number;
  /** The flag variant the candidate answered with (null: none): judged apart per variant. */
  variant: string | null;
  /** `shadow`: legacy served the client (a variant then went to the mirror only); `live`: the candidate served. */
  mode: 'shadow' | 'live';
}

export type FromWorker =
  /**
   * Exchange `id` is finished (its budget slot is free): how its mirror ended (null: never sent or
   * cancelled first) and, when the pair was compared, the comparison. One event per exchange.
   */
  | { readonly t: 'pair'; readonly id: number; readonly route: string; readonly side: Target; readonly mirror: string | null; readonly comparison: WireComparison | null }
  | { readonly t: 'noise'; readonly route: string; readonly diffs: readonly Diff[] }
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
  readonly mirror: MirrorSettings;
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

/**
 * "Send at most one batch per `gapMs`": each message wakes the other thread (a syscall and a loop
 * turn on both sides), which at 2,000 req/s cost more than the work it carried. When quiet there
 * is no wait at all. Used on both sides: 2 ms towards the worker (measured: 1 ms -> 2-4 ms halved
 * the worker's CPU at 2,000 req/s), 10 ms for the worker's events (counts, samples, freed budget).
 *
 *   const batches = new BatchScheduler(2, () => port.postMessage(take()));
 *   batches.request();   // after queueing a message
 *   batches.now();       // send what is queued at once (close)
 */
export class BatchScheduler {
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private last = 0;

  constructor(
    private readonly gapMs: number,
    private readonly send: () => void,
  ) {}

  /** A batch is due and not sent yet. */
  get pending(): boolean {
    return this.timer !== null || this.immediate !== null;
  }

  request(): void {
    if (this.pending) return;
    const wait = this.gapMs - (performance.now() - this.last);
    if (wait <= 0) this.immediate = setImmediate(this.run);
    else this.timer = setTimeout(this.run, Math.ceil(wait));
  }

  now(): void {
    this.cancel();
    this.run();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.immediate !== null) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
  }

  private readonly run = (): void => {
    this.timer = null;
    this.immediate = null;
    this.last = performance.now();
    this.send();
  };
}

/** The body a ref points at in the batch's bytes (a view, no copy). */
export function bodyOf(bytes: ArrayBuffer | null, ref: BodyRef): Buffer {
  if (ref === null || bytes === null) return EMPTY;
  return Buffer.from(bytes, ref[0], ref[1]);
}
