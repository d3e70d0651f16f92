/**
 * The rollback controller (Flagger's analysis loop): on every tick it judges each route's window
 * and, after `failuresToRollback` consecutive failing windows, takes the candidate out of traffic:
 *
 *   tick 1  fail (1/3)      tick 2  fail (2/3)      tick 3  fail (3/3) -> rollback
 *   - rollback state set first (local gate flips at once; Redis tells the other replicas)
 *   - then, never awaited by anyone serving: disable the Unleash flags, record the event with the
 *     verdict's evidence in PostgreSQL, call the webhook (each a RollbackAction)
 *
 * "No new pairs since the last tick" halts the count instead of advancing or resetting it; a pass or
 * an inconclusive window resets it. There is no automatic re-enable: `resume()` (admin) clears the
 * state, and so does a release manager turning a route's flag back on in Unleash after the
 * rollback (seen as the flag going off, then on, while rolled back).
 *
 * The clock is injected and `tick()` is public, so tests drive the loop step by step.
 */
import type { Logger } from '@smp/platform';
import type { RollbackEntry, RollbackStore } from '../state/rollback-store.js';
import { judge, type JudgeThresholds, type Judgement, type Verdict } from './judge.js';
import type { PairWindows } from './pair-window.js';

/** How one route is judged. */
export interface RouteJudging {
  readonly routeId: string;
  readonly thresholds: JudgeThresholds;
  /** Consecutive failing windows before a rollback (k). */
  readonly failuresToRollback: number;
  /** The route's Unleash flags (watched for a manual re-enable while rolled back). */
  readonly flags: readonly string[];
}

/** What happened, handed to every action. */
export interface RollbackEvent {
  readonly kind: 'rollback' | 'resume';
  readonly routeId: string;
  readonly at: number;
  /** The replica (or `admin` / `unleash`) that decided. */
  readonly by: string;
  readonly reason: string;
  /** The failing verdict with its evidence (rollbacks only). */
  readonly judgement: Judgement | null;
  readonly consecutiveFailures: number;
  readonly flags: readonly string[];
  /** Evidence of a rollback decided outside this loop (a rollout plan's judge reading). */
  readonly evidence?: unknown;
}

/** A side effect of a rollback or resume; failures are logged, never propagated. */
export interface RollbackAction {
  readonly name: string;
  readonly on: readonly RollbackEvent['kind'][];
  run(event: RollbackEvent): Promise<void>;
}

/** The controller's view of one route, for `GET /status`. */
export interface RouteAnalysis {
  readonly routeId: string;
  readonly verdict: Verdict | null;
  readonly judgedAt: number | null;
  readonly judgement: Judgement | null;
  readonly consecutiveFailures: number;
  readonly failuresToRollback: number;
  readonly rollback: RollbackEntry | null;
}

export interface RollbackControllerOptions {
  now: () => number;
  windows: PairWindows;
  store: RollbackStore;
  /** This replica's id (recorded as who decided). */
  replicaId: string;
  /** The routes to judge, read on every tick so a route-table reload takes effect. */
  routes: () => readonly RouteJudging[];
  actions?: readonly RollbackAction[];
  /** Is the flag switched on in Unleash (definition enabled)? undefined when unknown. */
  flagEnabled?: (flag: string) => boolean | undefined;
  logger: Logger;
  /** Counters, injected so the controller stays testable without a registry. */
  onVerdict?: (routeId: string, verdict: Verdict) => void;
  onRollback?: (routeId: string) => void;
}

interface RouteState {
  judgement: Judgement | null;
  judgedAt: number | null;
  failures: number;
  lastAdded: number;
  /** While rolled back: every flag of the route has been seen off. */
  sawFlagsOff: boolean;
}

/** One tick's decision for one route (tests read these). */
export interface TickDecision {
  readonly routeId: string;
  readonly action: 'judged' | 'no-new-pairs' | 'rolled-back' | 'resumed-by-flag' | 'held';
  readonly verdict: Verdict | null;
  readonly consecutiveFailures: number;
}

export class RollbackController {
  private readonly routes = new Map<string, RouteState>();
  private readonly pending = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<TickDecision[]> | null = null;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: RollbackControllerOptions) {
    // Any change of a route's state, decided here or on another replica, starts its evidence afresh.
    this.unsubscribe = options.store.onChange((entry, previous) => {
      if (previous?.state === entry.state) return;
      const s = this.state(entry.routeId);
      s.failures = 0;
      s.sawFlagsOff = false;
      options.windows.clear(entry.routeId);
      s.lastAdded = options.windows.added(entry.routeId);
    });
  }

  private state(routeId: string): RouteState {
    let s = this.routes.get(routeId);
    if (!s) {
      s = { judgement: null, judgedAt: null, failures: 0, lastAdded: 0, sawFlagsOff: false };
      this.routes.set(routeId, s);
    }
    return s;
  }

  /** Run the loop every `intervalMs` (unref'd: it never keeps the process alive). */
  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.tick().catch((err: Error) => this.options.logger.error('rollback controller tick failed', { error: err.message }));
    }, intervalMs);
    this.timer.unref();
  }

  /** One analysis step over every route. Serialised: a tick never overlaps the previous one. */
  tick(): Promise<TickDecision[]> {
    this.ticking ??= Promise.resolve()
      .then(() => this.tickNow())
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }

  private async tickNow(): Promise<TickDecision[]> {
    const { store, windows } = this.options;
    const now = this.options.now();
    const decisions: TickDecision[] = [];
    for (const route of this.options.routes()) {
      const s = this.state(route.routeId);
      if (store.isRolledBack(route.routeId)) {
        decisions.push(await this.watchFlags(route, s));
        continue;
      }
      const added = windows.added(route.routeId);
      if (added === s.lastAdded) {
        decisions.push({ routeId: route.routeId, action: 'no-new-pairs', verdict: s.judgement?.verdict ?? null, consecutiveFailures: s.failures });
        continue;
      }
      s.lastAdded = added;
      const judgement = judge(windows.snapshot(route.routeId, now), route.thresholds);
      s.judgement = judgement;
      s.judgedAt = now;
      this.options.onVerdict?.(route.routeId, judgement.verdict);
      s.failures = judgement.verdict === 'fail' ? s.failures + 1 : 0;
      if (s.failures >= route.failuresToRollback) {
        const failures = s.failures;
        this.rollBack(route, judgement, failures, now);
        decisions.push({ routeId: route.routeId, action: 'rolled-back', verdict: judgement.verdict, consecutiveFailures: failures });
      } else {
        decisions.push({ routeId: route.routeId, action: 'judged', verdict: judgement.verdict, consecutiveFailures: s.failures });
      }
    }
    return decisions;
  }

  /** Roll a route back on a decision taken elsewhere (a rollout plan's failing judge), with the same actions. */
  rollBackOnEvidence(routeId: string, reason: string, evidence: unknown): void {
    const route = this.options.routes().find((r) => r.routeId === routeId);
    if (!route || this.options.store.isRolledBack(routeId)) return;
    this.rollBack(route, null, 0, this.options.now(), reason, evidence);
  }

  private rollBack(route: RouteJudging, judgement: Judgement | null, failures: number, now: number, why?: string, evidence?: unknown): void {
    const { store, logger, replicaId } = this.options;
    const reason = why ?? `${failures} consecutive failing windows: ${judgement?.reasons.join('; ')}`;
    // The store flips this replica's gate synchronously inside rollBack(); Redis follows.
    const written = store.rollBack(route.routeId, reason, replicaId);
    logger.error('candidate rolled back', { route: route.routeId, reason, evidence: judgement?.criteria ?? evidence, description: judgement?.description });
    this.options.onRollback?.(route.routeId);
    const event: RollbackEvent = Object.freeze({
      kind: 'rollback',
      routeId: route.routeId,
      at: now,
      by: replicaId,
      reason,
      judgement,
      consecutiveFailures: failures,
      flags: route.flags,
      ...(evidence !== undefined ? { evidence } : {}),
    });
    this.track(written.then(() => this.runActions(event)));
  }

  /** While rolled back: a flag seen off and then on again means a release manager re-enabled it. */
  private async watchFlags(route: RouteJudging, s: RouteState): Promise<TickDecision> {
    const held: TickDecision = { routeId: route.routeId, action: 'held', verdict: s.judgement?.verdict ?? null, consecutiveFailures: s.failures };
    const read = this.options.flagEnabled;
    if (!read || route.flags.length === 0) return held;
    const states = route.flags.map((f) => read(f));
    if (states.every((v) => v === false)) {
      s.sawFlagsOff = true;
      return held;
    }
    if (s.sawFlagsOff && states.some((v) => v === true)) {
      const flag = route.flags[states.indexOf(true)];
      await this.resume(route.routeId, 'unleash', `flag ${flag} turned back on in Unleash after the rollback`);
      return { routeId: route.routeId, action: 'resumed-by-flag', verdict: null, consecutiveFailures: 0 };
    }
    return held;
  }

  /** Clear a rollback (admin or Unleash); candidate traffic resumes on every replica. */
  async resume(routeId: string, by: string, reason: string): Promise<RollbackEntry> {
    const entry = await this.options.store.resume(routeId, reason, by);
    this.options.logger.warn('candidate resumed', { route: routeId, by, reason });
    const route = this.options.routes().find((r) => r.routeId === routeId);
    const event: RollbackEvent = Object.freeze({
      kind: 'resume',
      routeId,
      at: entry.at,
      by,
      reason,
      judgement: null,
      consecutiveFailures: 0,
      flags: route?.flags ?? [],
    });
    this.track(this.runActions(event));
    return entry;
  }

  private async runActions(event: RollbackEvent): Promise<void> {
    const actions = (this.options.actions ?? []).filter((a) => a.on.includes(event.kind));
    const results = await Promise.allSettled(actions.map((a) => a.run(event)));
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        this.options.logger.warn('rollback action failed', { action: actions[i].name, route: event.routeId, kind: event.kind, error: (r.reason as Error)?.message });
      }
    });
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch((err: Error) => this.options.logger.warn('rollback follow-up failed', { error: err.message }));
    this.pending.add(guarded);
    void guarded.finally(() => this.pending.delete(guarded));
  }

  /** Resolves when every started action has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  status(): RouteAnalysis[] {
    const ids = new Set([...this.options.routes().map((r) => r.routeId)]);
    const k = new Map(this.options.routes().map((r) => [r.routeId, r.failuresToRollback]));
    return [...ids].map((routeId) => {
      const s = this.state(routeId);
      return {
        routeId,
        verdict: s.judgement?.verdict ?? null,
        judgedAt: s.judgedAt,
        judgement: s.judgement,
        consecutiveFailures: s.failures,
        failuresToRollback: k.get(routeId) ?? 0,
        rollback: this.options.store.get(routeId) ?? null,
      };
    });
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe();
    await this.ticking?.catch(() => undefined);
    await this.settled();
  }
}
