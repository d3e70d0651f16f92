/**
 * The shadow worker's logic, free of thread plumbing (shadow-worker.ts wires it to `parentPort`),
 * and the one dispatcher of the messages the serving thread sends (worker-protocol.ts). It sends the
 * mirrored requests, pairs each mirror's answer with the serving answer the serving thread reports,
 * turns the pair into its comparison, judge sample and record (pairResult, pure) and queues the
 * record for PostgreSQL. What the serving thread must know goes out through `emit`: one `pair`
 * event per exchange (its mirror's result, the comparison and the judge's sample; it frees the
 * exchange's budget slot), noise diffs, internal failures, log lines.
 *
 * Why a thread: mirroring doubles the upstream I/O per request, and comparing and recording cost
 * as much again; on the serving event loop all of it delays clients. Here it runs on another core,
 * and when it cannot keep up the serving thread's budget sheds mirrors (counted), never clients.
 */
import type { Logger } from '@smp/platform';
import { compileCompareRules, type CompareRules } from '../compare/compare-rules.js';
import type { Observation } from '../compare/comparator.js';
import type { EventLoopLag } from '../event-loop-lag.js';
import type { Target } from '../exchange.js';
import type { ComparisonRecorder } from '../report/comparison-recorder.js';
import { bodyOf, type FromWorker, type MirrorRequest, type ToWorker, type WireComparison, type WireObservation, type WirePair, type WireRequest } from '../shadow/worker-protocol.js';
import type { MirrorClient } from './mirror-client.js';
import { noiseDiffs, pairResult, type PairRequest } from './pair-result.js';
import { TimingQuality } from './timing-quality.js';

/** An exchange the worker holds: started by `start`, finished when paired (and calibrated) or cancelled. */
interface Pending {
  readonly routeId: string;
  readonly mirrorSide: Target;
  readonly startedAt: number;
  mirrored: Observation | null;
  /** Legacy's second answer (calibration), once it came; `awaitingSecondary` until then. */
  secondary: Observation | null;
  awaitingSecondary: boolean;
  serving: Observation | null;
  pair: WirePair | null;
  /** The mirrored request's content type and body (a view on its batch's bytes: no copy unless a mismatch keeps it). */
  request: PairRequest;
  rules: CompareRules | null;
  cancels: Array<() => void>;
  /** How the mirror ended (`answered`, `timeout`…), once it did. */
  mirrorResult: string | null;
  comparison: WireComparison | null;
  paired: boolean;
}

export interface ShadowWorkerCoreOptions {
  mirror: Pick<MirrorClient, 'send' | 'close'>;
  recorder: Pick<ComparisonRecorder, 'enqueue' | 'flush' | 'close'> | null;
  sampleBodyBytes: number;
  emit: (event: FromWorker) => void;
  /** After a `close` message: everything was cancelled, written or dropped (the thread may end). */
  onClosed: () => void;
  /** Wall clock (ms) for forgetting stale exchanges; tests pass a fake one. */
  now?: () => number;
  /** Exchanges the serving thread never finished are forgotten after this long. */
  staleMs?: number;
  /**
   * The first pairs after the worker starts reach the judge without latencies (their comparison
   * counts, and records keep the real figures): a fresh thread runs cold code (JIT, new
   * connections), so the candidate's side, timed here, would read slow for reasons of our own.
   */
  latencyWarmupPairs?: number;
  /**
   * This thread's loop lag (event-loop-lag.ts): a pair whose sides were not timed cleanly (this
   * thread's lag for the mirrored side, the serving thread's for the serving side), or timed while
   * the proxy is saturated, reaches the judge without latencies, like a warm-up pair, and without
   * its timeouts (timing-quality.ts); its comparison counts.
   */
  lag?: Pick<EventLoopLag, 'maxLagWithin'>;
}

const copy = (b: Buffer): Buffer => (b.length === 0 ? b : Buffer.from(b));

/** A header's value in a flat [name, value, …] list (first occurrence), or null. */
function headerOf(headers: readonly string[], name: string): string | null {
  for (let i = 0; i < headers.length; i += 2) if (headers[i].length === name.length && headers[i].toLowerCase() === name) return headers[i + 1];
  return null;
}

export class ShadowWorkerCore {
  private readonly pending = new Map<number, Pending>();
  private readonly rules = new Map<string, CompareRules>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly timing: TimingQuality;
  private schemaReady = false;
  private closing = false;

  constructor(private readonly options: ShadowWorkerCoreOptions) {
    this.timing = new TimingQuality(options.latencyWarmupPairs ?? 0);
    this.now = options.now ?? Date.now;
    const staleMs = options.staleMs ?? 120_000;
    this.sweeper = setInterval(() => this.sweep(this.now() - staleMs), Math.min(staleMs, 10_000));
    this.sweeper.unref();
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** The comparison schema is migrated: until then the recorder drops what it would write. */
  get recording(): boolean {
    return this.schemaReady;
  }

  /** One batch from the serving thread; never throws (a failing message is counted and logged). */
  handle(messages: readonly ToWorker[], bytes: ArrayBuffer | null): void {
    for (const m of messages) {
      if (this.closing) return;
      try {
        this.dispatch(m, bytes);
      } catch (err) {
        this.raised(`worker-${m.t}`, err);
      }
    }
  }

  private dispatch(m: ToWorker, bytes: ArrayBuffer | null): void {
    switch (m.t) {
      case 'rules':
        this.rules.set(m.key, compileCompareRules(m.routeId, m.config));
        return;
      case 'start':
        this.start(m.id, m.routeId, m.mirrorSide, m.mirror, m.secondary, bytes);
        return;
      case 'served':
        this.served(m.id, m.serving, m.pair, m.rules, bytes);
        return;
      case 'cancel':
        this.cancel(m.id);
        return;
      case 'schema':
        this.schemaReady = m.ready;
        return;
      case 'flush': {
        const token = m.token;
        void (this.options.recorder?.flush() ?? Promise.resolve()).then(() => this.options.emit({ t: 'flushed', token }));
        return;
      }
      case 'close':
        this.closing = true;
        void this.close()
          .catch((err: Error) => this.options.emit({ t: 'log', level: 'warn', message: 'shadow worker close failed', meta: { error: err.message } }))
          .then(() => this.options.onClosed());
        return;
    }
  }

  private request(wire: WireRequest, bytes: ArrayBuffer | null): MirrorRequest {
    // The batch's bytes live as long as the request: no copy needed for sending.
    return { origin: wire.origin, path: wire.path, method: wire.method, headers: wire.headers, body: wire.body === null ? null : bodyOf(bytes, wire.body) };
  }

  private start(id: number, routeId: string, mirrorSide: Target, mirror: WireRequest, secondary: WireRequest | null, bytes: ArrayBuffer | null): void {
    const client = this.options.mirror;
    const sent = this.request(mirror, bytes);
    const p: Pending = {
      routeId,
      mirrorSide,
      startedAt: this.now(),
      mirrored: null,
      secondary: null,
      awaitingSecondary: secondary !== null,
      serving: null,
      pair: null,
      request: { contentType: headerOf(sent.headers, 'content-type'), body: sent.body },
      rules: null,
      cancels: [],
      mirrorResult: null,
      comparison: null,
      paired: false,
    };
    this.pending.set(id, p);
    // One budget slot (taken on the serving thread) covers the exchange: its mirror and its calibration request.
    p.cancels.push(
      client.send(sent, (o) => {
        p.mirrorResult = o.status === null ? (o.error ?? 'error') : 'answered';
        p.mirrored = o;
        this.settle(id, p);
      }),
    );
    if (secondary !== null) {
      p.cancels.push(
        client.send(this.request(secondary, bytes), (o) => {
          p.awaitingSecondary = false;
          p.secondary = o;
          this.settle(id, p);
        }),
      );
    }
  }

  private served(id: number, serving: WireObservation, pair: WirePair, rulesKey: string, bytes: ArrayBuffer | null): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    const rules = this.rules.get(rulesKey);
    if (rules === undefined) {
      this.cancel(id);
      throw new Error(`no compare rules '${rulesKey}'`);
    }
    // Kept past this batch (the mirror may answer later): copy out of the batch's bytes.
    p.serving = Object.freeze({ ...serving, body: copy(bodyOf(bytes, serving.body)) });
    p.pair = pair;
    p.rules = rules;
    this.settle(id, p);
  }

  private cancel(id: number): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    for (const cancel of p.cancels) cancel();
    this.finish(id, p);
  }

  private settle(id: number, p: Pending): void {
    if (this.pending.get(id) !== p || p.serving === null || p.pair === null || p.rules === null) return;
    if (p.secondary !== null) {
      const second = p.secondary;
      p.secondary = null;
      this.calibrate(p.routeId, p.serving, second);
    }
    if (p.mirrored !== null && !p.paired) {
      p.paired = true;
      this.compare(p, p.serving, p.mirrored, p.pair, p.rules);
    }
    // Done when the pair went out and no calibration answer is still awaited.
    if (p.paired && !p.awaitingSecondary) {
      this.pending.delete(id);
      this.finish(id, p);
    }
  }

  private compare(p: Pending, serving: Observation, mirrored: Observation, facts: WirePair, rules: CompareRules): void {
    try {
      const live = facts.mode === 'live';
      const { comparison, sample, record } = pairResult(
        { routeId: p.routeId, facts, legacy: live ? mirrored : serving, candidate: live ? serving : mirrored, rules, request: p.request },
        this.options.sampleBodyBytes,
      );
      this.options.recorder?.enqueue(record);
      const unscored = this.timing.judge(
        { latencyMs: serving.latencyMs, lagMs: facts.servingLagMs, timedOut: serving.error === 'timeout' },
        { latencyMs: mirrored.latencyMs, lagMs: this.options.lag?.maxLagWithin(mirrored.latencyMs) ?? 0, timedOut: mirrored.error === 'timeout' },
      );
      const judged = unscored === 'timeout' ? null : unscored === null ? sample : { ...sample, legacyLatencyMs: null, candidateLatencyMs: null };
      p.comparison = { outcome: comparison.outcome, reason: comparison.reason, sample: judged, unscored, at: facts.at, variant: facts.variant, mode: facts.mode };
    } catch (err) {
      this.raised('process', err);
    }
  }

  private calibrate(routeId: string, first: Observation, second: Observation): void {
    try {
      const diffs = noiseDiffs(first, second);
      if (diffs !== null) this.options.emit({ t: 'noise', route: routeId, diffs });
    } catch (err) {
      this.raised('calibrate', err);
    }
  }

  /** The exchange is over: one `pair` event, which frees its budget slot on the serving thread. */
  private finish(id: number, p: Pending): void {
    this.options.emit({ t: 'pair', id, route: p.routeId, side: p.mirrorSide, mirror: p.mirrorResult, comparison: p.comparison });
  }

  /** The one place internal failures go (github/scientist's `raised`): counted and logged, never thrown. */
  private raised(operation: string, err: unknown): void {
    this.options.emit({ t: 'raised', operation });
    this.options.emit({ t: 'log', level: 'warn', message: 'shadow worker failed', meta: { operation, error: (err as Error)?.message } });
  }

  /** Exchanges whose serving side never reported (it should not happen): free them. */
  private sweep(olderThan: number): void {
    for (const [id, p] of this.pending) if (p.startedAt < olderThan) this.cancel(id);
  }

  /** Cancel what is in flight, write what is queued, close the pools. */
  private async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const id of [...this.pending.keys()]) this.cancel(id);
    await this.options.recorder?.close();
    await this.options.mirror.close();
  }
}

/** A logger whose lines are logged by the serving thread's logger. */
export function forwardingLogger(emit: (event: FromWorker) => void): Pick<Logger, 'info' | 'warn'> {
  const at =
    (level: 'info' | 'warn') =>
    (message: unknown, meta?: unknown): Logger => {
      emit({ t: 'log', level, message: String(message), meta: typeof meta === 'object' && meta !== null ? { ...(meta as Record<string, unknown>) } : {} });
      return undefined as unknown as Logger;
    };
  return { info: at('info'), warn: at('warn') } as unknown as Pick<Logger, 'info' | 'warn'>;
}
