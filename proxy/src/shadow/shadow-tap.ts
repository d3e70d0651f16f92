/**
 * The ExchangeTap that mirrors traffic. For a request the `migrate.<route>.shadow` flag picked:
 *
 *   legacy serves (shadow mode)      -> the same request is mirrored to the candidate
 *   candidate serves (live mode)     -> it is mirrored to legacy, so comparison goes on
 *   sampled for calibration          -> legacy is asked a second time too (noise learning)
 *
 * On the serving thread the tap only decides and copies: the mirror itself, the comparison and
 * the recording run on the shadow worker thread (ShadowLink -> shadow-worker/), so none of it
 * takes the clients' event loop. The client never waits for any of it:
 * - the mirror request is handed over right after the serving request was dispatched (a microtask
 *   after `requestEnd`), so both sides answer the same request at about the same moment, under the
 *   same load, which is what a *paired* latency test needs. The client's bytes are relayed by the
 *   core as they come; the tap only copies them (capped).
 * - a bounded budget of exchanges in the worker's hands (synchronous check); past it the request
 *   is not mirrored (counted as `budget`; `worker-down` while the worker restarts), nothing queues.
 *   The worker's mirror has its own pools and a timeout.
 * - only idempotent routes are mirrored, or routes that allow it for requests carrying an
 *   `Idempotency-Key`; request bodies over the cap are not mirrored (`request-too-large`).
 * Mirrored requests carry the headers forwarded upstream (one policy: upstream/forward-headers.ts)
 * plus `X-Shadow-Request: 1`. The route's `shadow` settings come compiled with the route table.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from '@smp/platform';
import type { Observation } from '../compare/comparator.js';
import type { CandidateGate, ExchangeObserver, ExchangeStart, ExchangeTap, Target } from '../exchange.js';
import { rewritePath, type Route, type RouteTable, type UpstreamRef } from '../routing/route-table.js';
import { mirrorRequestHeaders } from '../upstream/forward-headers.js';
import type { ShadowLink } from './shadow-link.js';
import type { ShadowMetrics, SkipReason } from './shadow-metrics.js';
import type { MirrorRequest } from './worker-protocol.js';
import type { EventLoopLag } from '../event-loop-lag.js';

export interface ShadowTapOptions {
  /** The route table in service (read per request). */
  routes: () => RouteTable;
  gate: CandidateGate;
  /** The shadow worker: budget, mirrors, comparison and recording happen there. */
  link: ShadowLinkPort;
  metrics: ShadowMetrics;
  /** Wall clock (ms): the pair's time in records and the judge's windows. */
  now: () => number;
  logger: Logger;
  /** Bytes of the request body copied for the mirror; larger requests are not mirrored. */
  requestBodyCap: number;
  /** Bytes of the serving answer kept for comparison. */
  responseBodyCap: number;
  /** Randomness for calibration sampling (injected for tests). */
  random?: () => number;
  /** This thread's loop lag (event-loop-lag.ts): how cleanly the serving side was timed. None: 0. */
  lag?: Pick<EventLoopLag, 'maxLagWithin'>;
}

/** What the tap needs of the shadow worker's link (ShadowLink). */
export type ShadowLinkPort = Pick<ShadowLink, 'tryAcquire' | 'release' | 'start' | 'served' | 'cancel' | 'running'>;

interface Target0 {
  readonly origin: string;
  readonly basePath: string;
}

export class ShadowTap implements ExchangeTap {
  private readonly targets = new Map<string, Target0>();
  private readonly random: () => number;

  constructor(private readonly options: ShadowTapOptions) {
    this.random = options.random ?? Math.random;
  }

  begin(start: ExchangeStart): ExchangeObserver | null {
    const decision = start.decision;
    if (!decision.shadow) return null;
    const { metrics } = this.options;
    const route = this.options.routes().byId(decision.routeId);
    if (route === undefined || route.candidate === null) {
      metrics.skip(decision.routeId, 'no-candidate');
      return null;
    }
    const skip = this.refusal(route, start);
    if (skip !== null) {
      metrics.skip(route.id, skip);
      return null;
    }
    if (!this.options.link.tryAcquire()) {
      metrics.skip(route.id, this.options.link.running ? 'budget' : 'worker-down');
      return null;
    }
    const { calibrationRate } = route.shadow;
    const mirrorSide: Target = decision.target === 'legacy' ? 'candidate' : 'legacy';
    const calibrate = decision.target === 'legacy' && calibrationRate > 0 && this.random() < calibrationRate;
    return new ShadowExchange(this, route, start, mirrorSide, calibrate);
  }

  /** Why this request must not be mirrored, or null. */
  private refusal(route: Route, start: ExchangeStart): SkipReason | null {
    if (!this.options.gate.isAllowed(route.id)) return 'rolled-back';
    const settings = route.shadow;
    if (!settings.enabled) return 'disabled';
    if (!route.idempotent && !(settings.allowWithIdempotencyKey && hasValue(start.headers['idempotency-key']))) return 'not-idempotent';
    const length = Number(start.headers['content-length'] ?? 0);
    if (length > this.options.requestBodyCap) return 'request-too-large';
    return null;
  }

  /** @internal used by ShadowExchange */
  get opts(): ShadowTapOptions {
    return this.options;
  }

  /** @internal: origin and base path of an upstream, parsed once. */
  target(upstream: UpstreamRef): Target0 {
    let t = this.targets.get(upstream.url);
    if (!t) {
      const u = new URL(upstream.url);
      t = { origin: u.origin, basePath: u.pathname.replace(/\/+$/, '') };
      this.targets.set(upstream.url, t);
    }
    return t;
  }
}

function hasValue(v: string | string[] | undefined): boolean {
  return Array.isArray(v) ? v.some((x) => x.trim() !== '') : v !== undefined && v.trim() !== '';
}

const EMPTY = Buffer.alloc(0);

/** One mirrored exchange: copies the request (capped) for the mirror and the serving answer for the worker. */
class ShadowExchange implements ExchangeObserver {
  private requestChunks: Buffer[] = [];
  private requestSize = 0;
  private status: number | null = null;
  private headers: IncomingHttpHeaders = {};
  private responseChunks: Buffer[] = [];
  private responseSize = 0;
  private responseTruncated = false;
  /** The worker's id for this exchange, once the mirror was handed over. */
  private id: number | null = null;
  /** The serving side completed before the mirror was handed over (an upstream answering early). */
  private early: Observation | null = null;
  /** The serving thread's worst loop lag while its side was timed (the judge's timing check). */
  private servingLagMs = 0;
  /** Holding the mirror slot taken in begin() and not yet handed to the worker. */
  private holdsSlot = true;
  private dead = false;

  constructor(
    private readonly tap: ShadowTap,
    private readonly route: Route,
    private readonly start: ExchangeStart,
    private readonly mirrorSide: Target,
    private readonly calibrate: boolean,
  ) {}

  requestChunk(chunk: Buffer): void {
    if (this.dead) return;
    this.requestSize += chunk.length;
    if (this.requestSize > this.tap.opts.requestBodyCap) {
      this.drop('request-too-large');
      return;
    }
    this.requestChunks.push(chunk);
  }

  requestEnd(): void {
    if (this.dead) return;
    // After the current synchronous work, i.e. after the core dispatched the serving request.
    queueMicrotask(() => this.sendMirrors());
  }

  private sendMirrors(): void {
    if (this.dead || this.id !== null) return;
    const body = this.requestChunks.length === 0 ? null : this.requestChunks.length === 1 ? this.requestChunks[0] : Buffer.concat(this.requestChunks, this.requestSize);
    this.requestChunks = [];
    this.holdsSlot = false;
    const headers = mirrorRequestHeaders(this.start.upstreamHeaders, this.start.traceparent);
    // The shadow flag's variant (a model version under comparison) goes to the mirrored candidate only.
    const variant = this.mirrorSide === 'candidate' ? this.start.decision.shadowVariant : undefined;
    const mirrorHeaders = variant === undefined ? headers : headers.concat('x-migrate-variant', variant.name, ...(variant.payload !== undefined ? ['x-migrate-variant-payload', variant.payload] : []));
    this.id = this.tap.opts.link.start(this.route.id, this.mirrorSide, this.request(this.mirrorSide, body, mirrorHeaders), this.calibrate ? this.request('legacy', body, headers) : null);
    if (this.early !== null) this.hand(this.early);
  }

  private request(side: Target, body: Buffer | null, headers: string[]): MirrorRequest {
    const upstream = side === 'candidate' ? this.route.candidate! : this.route.legacy;
    const target = this.tap.target(upstream);
    return {
      origin: target.origin,
      path: target.basePath + rewritePath(this.route, side, this.start.url),
      method: this.start.method,
      headers,
      body: this.start.method === 'GET' || this.start.method === 'HEAD' ? null : body,
    };
  }

  response(status: number, headers: IncomingHttpHeaders): void {
    if (this.dead) return;
    this.status = status;
    this.headers = headers;
  }

  responseChunk(chunk: Buffer): void {
    if (this.dead || this.responseTruncated) return;
    if (this.responseSize + chunk.length > this.tap.opts.responseBodyCap) {
      this.responseTruncated = true;
      this.responseChunks = [];
      return;
    }
    this.responseChunks.push(chunk);
    this.responseSize += chunk.length;
  }

  responseEnd(latencyMs: number): void {
    if (this.dead) return;
    const chunks = this.responseChunks;
    this.responseChunks = [];
    this.served({
      status: this.status,
      error: null,
      latencyMs,
      headers: this.headers,
      body: this.responseTruncated ? EMPTY : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.responseSize),
      truncated: this.responseTruncated,
    });
  }

  abort(reason: string): void {
    if (this.dead) return;
    // Live mode, the candidate failed and the core answers from legacy: that failure IS the
    // candidate's side of this pair; the legacy mirror already in flight is the other side.
    if (this.start.decision.target === 'candidate' && reason.startsWith('candidate-')) {
      const latencyMs = Number(process.hrtime.bigint() - this.start.startedAt) / 1e6;
      this.served({ status: null, error: reason.slice('candidate-'.length), latencyMs, headers: {}, body: EMPTY, truncated: false });
      return;
    }
    this.drop(reason.startsWith('upstream-') ? 'serving-failed' : 'aborted');
  }

  private served(serving: Observation): void {
    this.servingLagMs = this.tap.opts.lag?.maxLagWithin(serving.latencyMs) ?? 0;
    if (this.id === null) {
      this.early = serving;
      return;
    }
    this.hand(serving);
  }

  /** The serving side goes to the worker, which pairs it with the mirror's answer; this side is done. */
  private hand(serving: Observation): void {
    this.dead = true;
    this.early = null;
    const { link, now } = this.tap.opts;
    const decision = this.start.decision;
    link.served(
      this.id!,
      serving,
      {
        mode: decision.target === 'candidate' ? 'live' : 'shadow',
        method: this.start.method,
        url: this.start.url,
        requestId: this.start.requestId,
        livePercent: decision.livePercent,
        shadowPercent: decision.shadowPercent,
        variant: (decision.target === 'candidate' ? decision.variant?.name : decision.shadowVariant?.name) ?? null,
        at: now(),
        servingLagMs: this.servingLagMs,
      },
      this.route,
    );
  }

  private drop(reason: SkipReason): void {
    if (this.dead) return;
    this.dead = true;
    this.tap.opts.metrics.skip(this.route.id, reason);
    this.requestChunks = [];
    this.responseChunks = [];
    this.early = null;
    if (this.holdsSlot) {
      this.holdsSlot = false;
      this.tap.opts.link.release();
    }
    if (this.id !== null) this.tap.opts.link.cancel(this.id);
  }
}
