/**
 * The splitter decides **who** answers one request: legacy or the route's candidate.
 *
 *   route without a candidate (or unmatched)   -> legacy
 *   CandidateGate refuses (rolled back)        -> legacy, no shadow
 *   migrate.<route>.live off / missing         -> legacy
 *   live flag on, this client not in the %     -> legacy
 *   client in the %, breaker open              -> legacy
 *   otherwise                                  -> candidate (with the flag's variant, if any)
 *   mirrored (shadow flag) with a shadow variant -> `shadowVariant`: the mirrored candidate gets it
 *
 * Everything is a synchronous in-memory read. Unleash buckets a client by a murmur hash of its
 * userId/sessionId, so raising the percentage only ever adds clients to the candidate side.
 * A decision for the candidate holds a breaker permit: the forwarder settles it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CandidateGate, DecisionReason, RouteDecision } from '../exchange.js';
import type { Route } from '../routing/route-table.js';
import type { BreakerRegistry } from '../upstream/circuit-breaker.js';
import { clientContext } from './client-context.js';
import type { FlagSource, FlagVariant } from './flag-source.js';

const NOT_SHADOWED: { enabled: boolean; variant?: FlagVariant } = Object.freeze({ enabled: false });

export class Splitter {
  private readonly fixed = new WeakMap<Route, RouteDecision>();
  /** Per route, the last legacy decision per (reason, shadow): frozen, so reused while the percentages hold. */
  private readonly recent = new WeakMap<Route, Array<RouteDecision | undefined>>();

  constructor(
    private readonly flags: FlagSource,
    private readonly breakers: BreakerRegistry,
    private readonly gate: CandidateGate | null,
  ) {}

  decide(route: Route, headers: IncomingHttpHeaders, remoteAddress: string | undefined): RouteDecision {
    if (route.candidate === null) return this.legacyOnly(route);
    const livePercent = this.flags.percent(route.flags.live);
    const shadowPercent = this.flags.percent(route.flags.shadow);
    if (this.gate !== null && !this.gate.isAllowed(route.id)) {
      return this.legacy(route, 'rolled-back', false, livePercent, shadowPercent);
    }
    const liveOn = this.flags.definition(route.flags.live)?.enabled === true;
    // The common case before a migration starts: nothing to evaluate, no context to build.
    if (!liveOn && shadowPercent <= 0) return this.legacy(route, 'flag-off', false, livePercent, shadowPercent);
    const context = clientContext(headers, remoteAddress);
    const mirror = shadowPercent > 0 ? this.flags.evaluate(route.flags.shadow, context) : NOT_SHADOWED;
    const shadow = mirror.enabled;
    // A shadow-flag variant makes the decision per request (it carries the mirror's model version).
    if (mirror.variant !== undefined && shadow) return this.shadowVariant(route, liveOn, context, livePercent, shadowPercent, mirror.variant);
    if (!liveOn) return this.legacy(route, 'flag-off', shadow, livePercent, shadowPercent);
    const live = this.flags.evaluate(route.flags.live, context);
    if (!live.enabled) return this.legacy(route, 'flag', shadow, livePercent, shadowPercent);
    if (!this.breakers.for(route.candidate.name).tryAcquire()) {
      return this.legacy(route, 'breaker-open', shadow, livePercent, shadowPercent);
    }
    return Object.freeze({
      routeId: route.id,
      target: 'candidate' as const,
      reason: 'flag' as const,
      shadow,
      ...(live.variant !== undefined ? { variant: Object.freeze(live.variant) } : {}),
      livePercent,
      shadowPercent,
    });
  }

  /** Legacy or candidate as usual, with the shadow flag's variant for the mirror. */
  private shadowVariant(route: Route, liveOn: boolean, context: ReturnType<typeof clientContext>, livePercent: number, shadowPercent: number, shadowVariant: FlagVariant): RouteDecision {
    const live = liveOn ? this.flags.evaluate(route.flags.live, context) : NOT_SHADOWED;
    const toCandidate = live.enabled && this.breakers.for(route.candidate!.name).tryAcquire();
    const reason: DecisionReason = !liveOn ? 'flag-off' : !live.enabled || toCandidate ? 'flag' : 'breaker-open';
    return Object.freeze({
      routeId: route.id,
      target: toCandidate ? ('candidate' as const) : ('legacy' as const),
      reason,
      shadow: true,
      ...(toCandidate && live.variant !== undefined ? { variant: Object.freeze(live.variant) } : {}),
      shadowVariant: Object.freeze(shadowVariant),
      livePercent,
      shadowPercent,
    });
  }

  /** A legacy decision; requests mostly repeat the previous one, so it is reused rather than rebuilt. */
  private legacy(route: Route, reason: DecisionReason, shadow: boolean, livePercent: number, shadowPercent: number): RouteDecision {
    let slots = this.recent.get(route);
    if (slots === undefined) {
      slots = [];
      this.recent.set(route, slots);
    }
    const slot = REASON_SLOT[reason] * 2 + (shadow ? 1 : 0);
    const last = slots[slot];
    if (last !== undefined && last.livePercent === livePercent && last.shadowPercent === shadowPercent) return last;
    const decision = legacy(route.id, reason, shadow, livePercent, shadowPercent);
    slots[slot] = decision;
    return decision;
  }

  /** The frozen decision of a route that never goes to a candidate (made once per route). */
  private legacyOnly(route: Route): RouteDecision {
    let decision = this.fixed.get(route);
    if (decision === undefined) {
      decision = legacy(route.id, route.id === 'unmatched' ? 'unmatched' : 'no-candidate', false, 0, 0);
      this.fixed.set(route, decision);
    }
    return decision;
  }
}

const REASON_SLOT: Record<DecisionReason, number> = { unmatched: 0, 'no-candidate': 1, 'flag-off': 2, flag: 3, 'rolled-back': 4, 'breaker-open': 5 };

function legacy(routeId: string, reason: DecisionReason, shadow: boolean, livePercent: number, shadowPercent: number): RouteDecision {
  return Object.freeze({ routeId, target: 'legacy' as const, reason, shadow, livePercent, shadowPercent });
}
