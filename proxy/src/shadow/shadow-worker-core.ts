/**
 * The shadow worker's logic, free of thread plumbing (shadow-worker.ts wires it to `parentPort`):
 * it sends the mirrored requests, pairs each mirror's answer with the serving answer the serving
 * thread reports, compares, and queues the record for PostgreSQL. Everything the serving thread
 * must know (comparison outcomes for metrics, samples for the judge's windows, noise diffs,
 * finished exchanges that free the budget) goes out through `emit`.
 *
 * Why a thread: mirroring doubles the upstream I/O per request, and comparing and recording cost
 * as much again; on the serving event loop all of it delays clients. Here it runs on another core,
 * and when it cannot keep up the serving thread's budget sheds mirrors (counted), never clients.
 */
import type { Logger } from '@smp/platform';
import { compileCompareRules, type CompareRules } from '../compare/compare-rules.js';
import type { Observation } from '../compare/comparator.js';
import type { Target } from '../exchange.js';
import { ComparisonRecorder } from '../report/comparison-recorder.js';
import { MirrorClient, type MirrorRequest } from './mirror-client.js';
import { PairPipeline } from './pair-pipeline.js';
import { bodyOf, type WireComparison, type FromWorker, type ToWorker, type WireObservation, type WirePair, type WireRequest } from './worker-protocol.js';

/** An exchange the worker holds: started by `start`, finished when paired (and calibrated) or cancelled. */
interface Pending {
  readonly routeId: string;
  readonly mirrorSide: Target;
  readonly startedAt: number;
  mirrored: Observation | null;
  secondary: Observation | null;
  serving: Observation | null;
  pair: WirePair | null;
  rules: CompareRules | null;
  cancelMirror: (() => void) | null;
  cancelSecondary: (() => void) | null;
  /** How the mirror ended (`answered`, `timeout`…), once it did. */
  mirrorResult: string | null;
  comparison: WireComparison | null;
  paired: boolean;
  calibrated: boolean;
}

export interface ShadowWorkerCoreOptions {
  mirror: MirrorClient;
  recorder: ComparisonRecorder | null;
  sampleBodyBytes: number;
  emit: (event: FromWorker) => void;
  /** Exchanges the serving thread never finished are forgotten after this long. */
  staleMs?: number;
  /**
   * The first pairs after the worker starts reach the judge without latencies (their comparison
   * counts, and records keep the real figures): a fresh thread runs cold code (JIT, new
   * connections), so the candidate's side, timed here, would read slow for reasons of our own.
   */
  latencyWarmupPairs?: number;
}

const copy = (b: Buffer): Buffer => (b.length === 0 ? b : Buffer.from(b));

export class ShadowWorkerCore {
  private readonly pending = new Map<number, Pending>();
  private readonly rules = new Map<string, CompareRules>();
  private readonly pipeline: PairPipeline;
  private readonly sweeper: NodeJS.Timeout;
  /** The comparison being made (pipeline.process fills it through the sinks), reported with the pair. */
  private current: WireComparison | null = null;
  private warmupLeft: number;

  constructor(private readonly options: ShadowWorkerCoreOptions) {
    const { emit } = options;
    this.warmupLeft = options.latencyWarmupPairs ?? 0;
    this.pipeline = new PairPipeline({
      recorder: options.recorder,
      sampleBodyBytes: options.sampleBodyBytes,
      // process() runs only inside settle(), which sets `current`: the comparison and the judge's
      // sample travel with the pair's one event.
      windows: {
        add: (_route, timed, at) => {
          if (this.current === null) return;
          let sample = timed;
          if (this.warmupLeft > 0) {
            this.warmupLeft--;
            sample = { ...timed, legacyLatencyMs: null, candidateLatencyMs: null };
          }
          this.current.sample = sample;
          this.current.at = at;
        },
      },
      // The serving thread feeds its calibrator and counts the calibration when the diffs arrive.
      calibrator: { observe: (route, diffs) => emit({ t: 'noise', route, diffs }) },
      metrics: {
        comparison: (_route, result) => {
          if (this.current === null) return;
          this.current.outcome = result.outcome;
          this.current.reason = result.reason;
        },
        calibrated: () => undefined,
        raised: (operation) => emit({ t: 'raised', operation }),
      },
      logger: forwardingLogger(emit),
    });
    const staleMs = options.staleMs ?? 120_000;
    this.sweeper = setInterval(() => this.sweep(Date.now() - staleMs), Math.min(staleMs, 10_000));
    this.sweeper.unref();
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** One batch from the serving thread. */
  handle(messages: readonly ToWorker[], bytes: ArrayBuffer | null): void {
    for (const m of messages) {
      try {
        switch (m.t) {
          case 'rules':
            this.rules.set(m.key, compileCompareRules(m.routeId, m.config));
            break;
          case 'start':
            this.start(m.id, m.routeId, m.mirrorSide, m.mirror, m.secondary, bytes);
            break;
          case 'served':
            this.served(m.id, m.serving, m.pair, m.rules, bytes);
            break;
          case 'cancel':
            this.cancel(m.id);
            break;
          default:
            break;
        }
      } catch (err) {
        this.options.emit({ t: 'raised', operation: `worker-${m.t}` });
        this.options.emit({ t: 'log', level: 'warn', message: 'shadow worker failed on a message', meta: { message: m.t, error: (err as Error).message } });
      }
    }
  }

  private request(wire: WireRequest, bytes: ArrayBuffer | null): MirrorRequest {
    // The batch's bytes live as long as the request: no copy needed for sending.
    return { origin: wire.origin, path: wire.path, method: wire.method, headers: wire.headers, body: wire.body === null ? null : bodyOf(bytes, wire.body) };
  }

  private start(id: number, routeId: string, mirrorSide: Target, mirror: WireRequest, secondary: WireRequest | null, bytes: ArrayBuffer | null): void {
    const { mirror: client, emit } = this.options;
    const p: Pending = {
      routeId,
      mirrorSide,
      startedAt: Date.now(),
      mirrored: null,
      secondary: null,
      serving: null,
      pair: null,
      rules: null,
      cancelMirror: null,
      cancelSecondary: null,
      mirrorResult: null,
      comparison: null,
      paired: false,
      calibrated: false,
    };
    this.pending.set(id, p);
    if (!client.tryAcquire()) {
      emit({ t: 'skip', route: routeId, reason: 'budget' });
      this.finish(id);
      return;
    }
    p.cancelMirror = client.send(this.request(mirror, bytes), (o) => {
      p.cancelMirror = null;
      p.mirrorResult = o.status === null ? (o.error ?? 'error') : 'answered';
      p.mirrored = o;
      this.settle(id, p);
    });
    if (secondary !== null && client.tryAcquire()) {
      p.cancelSecondary = client.send(this.request(secondary, bytes), (o) => {
        p.cancelSecondary = null;
        p.secondary = o;
        this.settle(id, p);
      });
    }
  }

  private served(id: number, serving: WireObservation, pair: WirePair, rulesKey: string, bytes: ArrayBuffer | null): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    const rules = this.rules.get(rulesKey);
    if (rules === undefined) throw new Error(`no compare rules '${rulesKey}'`);
    // Kept past this batch (the mirror may answer later): copy out of the batch's bytes.
    p.serving = Object.freeze({ ...serving, body: copy(bodyOf(bytes, serving.body)) });
    p.pair = pair;
    p.rules = rules;
    this.settle(id, p);
  }

  private cancel(id: number): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    p.cancelMirror?.();
    p.cancelSecondary?.();
    this.finish(id);
  }

  private settle(id: number, p: Pending): void {
    if (this.pending.get(id) !== p || p.serving === null || p.pair === null || p.rules === null) return;
    if (p.secondary !== null && !p.calibrated) {
      p.calibrated = true;
      this.pipeline.calibrate(p.routeId, p.serving, p.secondary);
    }
    if (p.mirrored !== null && !p.paired) {
      p.paired = true;
      const live = p.pair.mode === 'live';
      const comparison: WireComparison = { outcome: 'not-compared', reason: null, sample: null, at: p.pair.at };
      this.current = comparison;
      this.pipeline.process({
        routeId: p.routeId,
        mode: p.pair.mode,
        method: p.pair.method,
        requestId: p.pair.requestId,
        livePercent: p.pair.livePercent,
        shadowPercent: p.pair.shadowPercent,
        legacy: live ? p.mirrored : p.serving,
        candidate: live ? p.serving : p.mirrored,
        rules: p.rules,
        at: p.pair.at,
      });
      this.current = null;
      p.comparison = comparison.sample === null ? null : comparison;
    }
    // Done when the pair went out and no calibration answer is still awaited.
    if (p.paired && p.cancelSecondary === null) this.finish(id);
  }

  private finish(id: number): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    this.options.emit({ t: 'pair', id, route: p.routeId, side: p.mirrorSide, mirror: p.mirrorResult, comparison: p.comparison });
  }

  /** Exchanges whose serving side never reported (it should not happen): free them. */
  private sweep(olderThan: number): void {
    for (const [id, p] of this.pending) if (p.startedAt < olderThan) this.cancel(id);
  }

  /** Cancel what is in flight, write what is queued, close the pools. */
  async close(): Promise<void> {
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
