/**
 * The serving thread's end of the shadow worker (shadow-worker/shadow-worker.ts): the mirror
 * budget (the only one: SHADOW_MAX_IN_FLIGHT exchanges in the worker's hands), the batching of
 * messages (BatchScheduler: at most one postMessage per 2 ms, bodies packed into one transferred
 * buffer), and the worker's life: started with the proxy, restarted if it dies (its in-flight
 * mirrors are written off and the budget freed), closed with the proxy after writing what it queued.
 *
 *   if (!link.tryAcquire()) skip('budget')           // synchronous, in memory
 *   const id = link.start(routeId, 'candidate', request, null)
 *   link.served(id, servingObservation, pairFacts, route)   // or link.cancel(id)
 *   // events (pairs, noise, written/dropped, logs) arrive through `onEvent`
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { Logger } from '@smp/platform';
import type { Observation } from '../compare/comparator.js';
import type { Target } from '../exchange.js';
import type { Route } from '../routing/route-table.js';
import type { CompareSettings } from '../routing/route-settings.js';
import {
  BatchScheduler,
  BodyPacker,
  type FromWorker,
  type FromWorkerBatch,
  type MirrorRequest,
  type ToWorker,
  type ToWorkerBatch,
  type WirePair,
  type WireRequest,
  type WorkerInit,
} from './worker-protocol.js';

/** Starts a worker thread (tests inject one that keeps a handle on it). */
export type WorkerFactory = (url: URL, options: WorkerOptions) => Worker;

export interface ShadowLinkOptions {
  init: WorkerInit;
  /** Exchanges handed to the worker and not finished yet, at most (the mirror budget). */
  budget: number;
  logger: Logger;
  onEvent: (event: FromWorker) => void;
  /** Wait before starting a worker that died (default 1 s). */
  restartMs?: number;
  /** Default `new Worker(url, options)`. */
  createWorker?: WorkerFactory;
  /** How long close() waits for the worker to write what it queued. */
  closeTimeoutMs?: number;
}

/** Minimum time between two batches sent to the worker (measured: 1 ms -> 2-4 ms halved the worker's CPU at 2,000 req/s). */
const MIN_FLUSH_GAP_MS = 2;

const WORKER_URL = new URL('../shadow-worker/shadow-worker.js', import.meta.url);

export class ShadowLink {
  private worker: Worker | null = null;
  private out: ToWorker[] = [];
  private packer = new BodyPacker();
  private readonly batches = new BatchScheduler(MIN_FLUSH_GAP_MS, () => this.flush());
  /** Budget slots taken: exchanges started in the worker plus those about to start. */
  private held = 0;
  /** Exchanges started in the current worker, not reported done yet. */
  private readonly started = new Set<number>();
  private nextId = 1;
  /** Rules keys already sent to the current worker, and the key of each settings object. */
  private rulesSent = new Set<string>();
  private readonly rulesKeys = new WeakMap<CompareSettings, string>();
  private rulesCounter = 0;
  private schemaReady = false;
  private queuedRecords = 0;
  private closed = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private onClosed: (() => void) | null = null;
  private readonly flushes = new Map<number, () => void>();
  private online: Promise<void> = Promise.resolve();
  private markOnline: () => void = () => undefined;
  private flushToken = 0;
  /** Times the worker died and was restarted. */
  restarts = 0;

  constructor(private readonly options: ShadowLinkOptions) {
    this.spawn();
  }

  /** Exchanges in the worker's hands (status, tests). */
  get inFlight(): number {
    return this.held;
  }

  get capacity(): number {
    return this.options.budget;
  }

  /** Comparison records queued in the worker, as last reported. */
  get queued(): number {
    return this.queuedRecords;
  }

  get running(): boolean {
    return this.worker !== null;
  }

  /** Resolves when the worker has started (its first message), or after `timeoutMs`: false then. */
  async ready(timeoutMs = 10_000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const ok = await Promise.race([this.online.then(() => true), late]);
    clearTimeout(timer);
    return ok;
  }

  /** Take a budget slot; false past the budget, or while no worker runs. */
  tryAcquire(): boolean {
    if (this.worker === null || this.held >= this.options.budget) return false;
    this.held++;
    return true;
  }

  /** Give back a slot that start() will not use. */
  release(): void {
    if (this.held > 0) this.held--;
  }

  /** Send the mirror (and the calibration request) on a slot taken with tryAcquire(); returns the exchange id. */
  start(routeId: string, mirrorSide: Target, mirror: MirrorRequest, secondary: MirrorRequest | null): number {
    const id = this.nextId++;
    if (this.worker === null) {
      // The worker died between tryAcquire() and now: only started exchanges were written off with
      // it, so this slot is given back here (served()/cancel() will not find the id).
      this.release();
      return id;
    }
    this.started.add(id);
    this.post({ t: 'start', id, routeId, mirrorSide, mirror: this.wire(mirror), secondary: secondary === null ? null : this.wire(secondary) });
    return id;
  }

  /** The serving side of exchange `id` is complete. */
  served(id: number, serving: Observation, pair: WirePair, route: Route): void {
    if (!this.started.has(id)) return;
    const key = this.rulesKey(route.compare, route.id);
    this.post({
      t: 'served',
      id,
      rules: key,
      pair,
      serving: { status: serving.status, error: serving.error, latencyMs: serving.latencyMs, headers: serving.headers, truncated: serving.truncated, body: this.packer.add(serving.body) },
    });
  }

  /** Exchange `id` will not complete (the client went away, the serving side failed). */
  cancel(id: number): void {
    if (this.started.has(id)) this.post({ t: 'cancel', id });
  }

  /** The comparison schema is (or is no longer) migrated: until then the worker drops records. */
  setSchemaReady(ready: boolean): void {
    this.schemaReady = ready;
    if (this.worker !== null) this.post({ t: 'schema', ready });
  }

  /**
   * Resolves when the worker has handled everything sent so far and written the records it had
   * queued (or dropped them, counted); at once when no worker runs.
   */
  flushRecords(): Promise<void> {
    if (this.worker === null) return Promise.resolve();
    const token = ++this.flushToken;
    const done = new Promise<void>((resolve) => this.flushes.set(token, resolve));
    this.post({ t: 'flush', token });
    return done;
  }

  /** The worker compiles each route's rules once: sent the first time a compiled table's route is used. */
  private rulesKey(compare: CompareSettings, routeId: string): string {
    let key = this.rulesKeys.get(compare);
    if (key === undefined) {
      key = `${routeId}#${++this.rulesCounter}`;
      this.rulesKeys.set(compare, key);
    }
    if (!this.rulesSent.has(key)) {
      this.rulesSent.add(key);
      this.out.push({ t: 'rules', key, routeId, config: compare.config });
    }
    return key;
  }

  private wire(r: MirrorRequest): WireRequest {
    return { origin: r.origin, path: r.path, method: r.method, headers: r.headers, body: this.packer.add(r.body) };
  }

  private post(m: ToWorker): void {
    this.out.push(m);
    // The mirror leaves at most MIN_FLUSH_GAP_MS after the serving request.
    this.batches.request();
  }

  private flush(): void {
    if (this.out.length === 0) return;
    const bytes = this.packer.pack();
    const batch: ToWorkerBatch = { messages: this.out, bytes };
    this.out = [];
    if (this.worker === null) return;
    try {
      this.worker.postMessage(batch, bytes === null ? [] : [bytes]);
    } catch (err) {
      this.options.logger.warn('shadow worker message not sent', { error: (err as Error).message });
    }
  }

  private readonly receive = (batch: FromWorkerBatch): void => {
    this.markOnline();
    this.queuedRecords = batch.queued;
    for (const e of batch.events) {
      if (e.t === 'pair' && this.started.delete(e.id)) this.release();
      if (e.t === 'flushed') {
        this.flushes.get(e.token)?.();
        this.flushes.delete(e.token);
        continue;
      }
      try {
        this.options.onEvent(e);
      } catch (err) {
        this.options.logger.warn('shadow event handling failed', { event: e.t, error: (err as Error).message });
      }
    }
    if (batch.closed) this.onClosed?.();
  };

  private spawn(): void {
    this.online = new Promise<void>((resolve) => (this.markOnline = resolve));
    const worker = (this.options.createWorker ?? ((url, options) => new Worker(url, options)))(WORKER_URL, { workerData: this.options.init, name: 'shadow' });
    worker.unref();
    this.worker = worker;
    this.rulesSent = new Set();
    worker.on('message', this.receive);
    worker.on('error', (err) => this.options.logger.error('shadow worker failed', { error: err.message, stack: err.stack }));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      // Its mirrors are gone: free their budget (late `done`s from it can no longer arrive).
      this.held = Math.max(0, this.held - this.started.size);
      this.started.clear();
      this.markOnline();
      for (const resolve of this.flushes.values()) resolve();
      this.flushes.clear();
      this.onClosed?.();
      if (this.closed) return;
      this.restarts++;
      this.options.logger.error('shadow worker exited; mirroring paused until it restarts', { code, restartInMs: this.options.restartMs ?? 1_000 });
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (!this.closed) this.spawn();
      }, this.options.restartMs ?? 1_000);
      this.restartTimer.unref();
    });
    if (this.schemaReady) this.post({ t: 'schema', ready: true });
  }

  /** Ask the worker to write what it queued and stop; bounded by closeTimeoutMs, then terminated. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (worker === null) return;
    worker.ref();
    const finished = new Promise<void>((resolve) => (this.onClosed = resolve));
    this.post({ t: 'close' });
    this.batches.now();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.options.closeTimeoutMs ?? 10_000)));
    const late = await Promise.race([finished.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) this.options.logger.warn('shadow worker did not finish in time; terminated');
    this.worker = null;
    await worker.terminate();
  }
}
