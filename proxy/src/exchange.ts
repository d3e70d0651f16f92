/**
 * The seams of the proxy's hot path. Routing and splitting (routing/, split/, upstream/) decide and
 * forward; shadowing, comparison and rollback (shadow/, compare/, analysis/, report/, state/) plug
 * in through these two interfaces, so the hot path pays one null check when nothing is plugged in.
 *
 *   client ─► route table ─► splitter ──(CandidateGate: may the candidate get traffic?)
 *                               │
 *                               └─► upstream (serves) ──(ExchangeTap: observe this exchange)
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Which upstream answers the client. */
export type Target = 'legacy' | 'candidate';

/** Why the splitter chose the target (a bounded label value). */
export type DecisionReason =
  | 'unmatched' // no route: legacy
  | 'no-candidate' // the route has no candidate upstream
  | 'flag-off' // live flag missing or disabled
  | 'flag' // live flag evaluated for this client
  | 'rolled-back' // the CandidateGate refused
  | 'breaker-open'; // the candidate's circuit breaker is open

/** What the splitter decided for a client request. Frozen; identical decisions may be one shared object, so never key per-request state on it. */
export interface RouteDecision {
  /** Route id (`ml-predict`…) or `unmatched`. */
  readonly routeId: string;
  readonly target: Target;
  readonly reason: DecisionReason;
  /** The `migrate.<route>.shadow` flag says mirror this request to the other side. */
  readonly shadow: boolean;
  /** Variant of the live flag when the candidate serves (`disabled` otherwise). */
  readonly variant?: { readonly name: string; readonly payload?: string };
  /** Variant of the shadow flag for a mirrored request: sent to the mirrored candidate only (a model version compared before any client sees it). */
  readonly shadowVariant?: { readonly name: string; readonly payload?: string };
  /** Live rollout percentage at decision time (for records and reports). */
  readonly livePercent: number;
  readonly shadowPercent: number;
}

/**
 * Synchronous, in-memory: may this route's candidate receive traffic (live or shadow)? Kept
 * current in the background by the rollback controller (Redis pub/sub across replicas).
 */
export interface CandidateGate {
  isAllowed(routeId: string): boolean;
}

/** Everything a tap may need to know about the request, available before forwarding starts. */
export interface ExchangeStart {
  readonly decision: RouteDecision;
  readonly method: string;
  /** Path and query as the client sent them. */
  readonly url: string;
  /** Client request headers (hop-by-hop already removed). */
  readonly headers: IncomingHttpHeaders;
  readonly requestId: string;
  /** The headers sent upstream for this request (flat [name, value, …], upstream/forward-headers.ts). */
  readonly upstreamHeaders: readonly string[];
  /** The W3C trace context a request made for this exchange (the mirror) continues. */
  readonly traceparent: string;
  /** `process.hrtime.bigint()` when the proxy received the request. */
  readonly startedAt: bigint;
}

/**
 * Observes one exchange, fed by the hot path as bytes flow. Implementations must never throw into
 * the caller, never block, and keep only a capped copy of the bodies.
 */
export interface ExchangeObserver {
  requestChunk(chunk: Buffer): void;
  requestEnd(): void;
  /** The serving upstream's response head. */
  response(status: number, headers: IncomingHttpHeaders): void;
  responseChunk(chunk: Buffer): void;
  /** The response was fully sent to the client; `latencyMs` is the serving upstream's latency. */
  responseEnd(latencyMs: number): void;
  /** The exchange failed or the client went away; drop the work. */
  abort(reason: string): void;
}

/** Decides per request whether to observe it; returns null for "nothing to do" (the common case). */
export interface ExchangeTap {
  begin(start: ExchangeStart): ExchangeObserver | null;
}
