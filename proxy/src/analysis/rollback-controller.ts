/**
 * The rollback controller: every pair the shadow worker hands back goes to its route's
 * SequentialJudge, and the moment a criterion fails the candidate is taken out of traffic. No
 * windows, no ticks, no "k failures in a row": the judge's false-alarm bound already holds under
 * continuous monitoring (sequential-judge.ts).
 *
 *   controller.observe('ml-predict', pair, at)   // serving thread, per pair event: a few flops
 *     -> judge fails -> rollback state set first (the local gate flips at once; Redis tells the
 *        other replicas) -> then, awaited by nobody serving: Unleash flags off, the event with
 *        the decision's evidence in PostgreSQL, the webhook (each a RollbackAction)
 *
 * A rolled-back route's pairs are not judged (there are none: the gate stops its mirrors). Any
 * change of a route's state, decided here or on another replica, starts its evidence afresh. There
 * is no automatic re-enable: `resume()` (admin) clears the state, and so does a release manager
 * turning a route's flag back on in Unleash after the rollback (seen by `watchFlags()`, every
 * ROLLBACK_FLAG_WATCH_MS, as the flag going off, then on, while rolled back).
 */
import type { Logger } from '@smp/platform';
import type { RollbackEntry, RollbackStore } from '../state/rollback-store.js';
import type { JudgePair, JudgeStatus } from './judge-evidence.js';
import type { JudgeSettings } from './judge-settings.js';
import { SequentialJudge, type JudgeDecision } from './sequential-judge.js';

/** How one route is judged. */
export interface RouteJudging {
  readonly routeId: string;
  readonly settings: JudgeSettings;
  /** The route's Unleash flags (switched off on a rollback; watched for a manual re-enable). */
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
  /** The failing decision with its evidence (rollbacks only). */
  readonly decision: JudgeDecision | null;
  readonly flags: readonly string[];
}

/** The evidence stored with an event and sent to the webhook (null for a resume). */
export function rollbackEvidence(event: RollbackEvent): { status: JudgeStatus; pairs: number; failed: JudgeDecision['failed']; criteria: JudgeDecision['criteria'] } | null {
  const d = event.decision;
  return d === null ? null : { status: d.status, pairs: d.pairs, failed: d.failed, criteria: d.criteria };
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
  /** The judge's evidence now (since the last reset). */
  readonly decision: JudgeDecision | null;
  /** The evidence of this replica's last rollback of the route, kept after the reset. */
  readonly lastRollback: { readonly at: number; readonly decision: JudgeDecision } | null;
  readonly rollback: RollbackEntry | null;
}

export interface RollbackControllerOptions {
  now: () => number;
  store: RollbackStore;
  /** This replica's id (recorded as who decided). */
  replicaId: string;
  /** The judged routes by id (a route-table reload takes effect on the next pair). */
  route: (routeId: string) => RouteJudging | undefined;
  /** Every judged route (status, flag watching). */
  routes: () => readonly RouteJudging[];
  actions?: readonly RollbackAction[];
  /** Is the flag switched on in Unleash (definition enabled)? undefined when unknown. */
  flagEnabled?: (flag: string) => boolean | undefined;
  logger: Logger;
  /** Counters, injected so the controller stays testable without a registry. */
  onStatus?: (routeId: string, status: JudgeStatus) => void;
  onRollback?: (routeId: string) => void;
}

interface RouteState {
  judge: SequentialJudge;
  /** Serialised settings: a reload with equal settings keeps the evidence. */
  settingsKey: string;
  settings: JudgeSettings;
  status: JudgeStatus;
  /** Pairs handed to `observe` since the start, never reset. */
  observed: number;
  lastRollback: { at: number; decision: JudgeDecision } | null;
  /** While rolled back: every flag of the route has been seen off. */
  sawFlagsOff: boolean;
}

/** One flag-watch step's outcome for one rolled-back route (tests read these). */
export interface WatchDecision {
  readonly routeId: string;
  readonly action: 'held' | 'resumed-by-flag';
}

export class RollbackController {
  private readonly states = new Map<string, RouteState>();
  private readonly pending = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | null = null;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: RollbackControllerOptions) {
    this.unsubscribe = options.store.onChange((entry, previous) => {
      if (previous?.state === entry.state) return;
      const s = this.states.get(entry.routeId);
      if (!s) return;
      s.judge.reset();
      s.status = s.judge.status;
      s.sawFlagsOff = false;
    });
  }

  private state(route: RouteJudging): RouteState {
    let s = this.states.get(route.routeId);
    if (s !== undefined && s.settings === route.settings) return s;
    const key = JSON.stringify(route.settings);
    if (s !== undefined && s.settingsKey === key) {
      s.settings = route.settings;
      return s;
    }
    // New route, or its judge settings changed on a reload: evidence under other thresholds does not carry over.
    const judge = new SequentialJudge(route.settings);
    s = { judge, settingsKey: key, settings: route.settings, status: judge.status, observed: s?.observed ?? 0, lastRollback: s?.lastRollback ?? null, sawFlagsOff: s?.sawFlagsOff ?? false };
    this.states.set(route.routeId, s);
    return s;
  }

  /** One pair of `routeId`, seen at `at` (ms). Synchronous; a failure rolls back before returning. */
  observe(routeId: string, pair: JudgePair, at: number): void {
    const route = this.options.route(routeId);
    if (route === undefined) return;
    const s = this.state(route);
    s.observed++;
    // Pairs still in flight when the gate flipped are not evidence about the next attempt.
    if (this.options.store.isRolledBack(routeId)) return;
    const status = s.judge.observe(pair, at);
    if (status === s.status) return;
    s.status = status;
    this.options.onStatus?.(routeId, status);
    if (status === 'fail') this.rollBack(route, s);
  }

  /** Start the route's evidence afresh (a rollout step: only pairs taken at the new step count). */
  resetEvidence(routeId: string): void {
    const s = this.states.get(routeId);
    if (!s) return;
    s.judge.reset();
    s.status = s.judge.status;
  }

  /** Roll a route back on a decision taken by a rollout plan, with the same actions (no-op when already rolled back). */
  rollBackOnDecision(routeId: string): void {
    const route = this.options.route(routeId);
    if (route === undefined || this.options.store.isRolledBack(routeId)) return;
    this.rollBack(route, this.state(route));
  }

  /** Pairs of the route handed to the controller since it started (tests wait on it). */
  observed(routeId: string): number {
    return this.states.get(routeId)?.observed ?? 0;
  }

  private rollBack(route: RouteJudging, s: RouteState): void {
    const { store, logger, replicaId } = this.options;
    const decision = s.judge.decision();
    const at = this.options.now();
    s.lastRollback = { at, decision };
    // The store flips this replica's gate synchronously inside rollBack(); Redis follows.
    const written = store.rollBack(route.routeId, decision.reason, replicaId);
    logger.error('candidate rolled back', { route: route.routeId, reason: decision.reason, evidence: decision.failed });
    this.options.onRollback?.(route.routeId);
    const event: RollbackEvent = Object.freeze({ kind: 'rollback', routeId: route.routeId, at, by: replicaId, reason: decision.reason, decision, flags: route.flags });
    this.track(written.then(() => this.runActions(event)));
  }

  /** Check the rolled-back routes' flags every `intervalMs` (unref'd: it never keeps the process alive). */
  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.watchFlags().catch((err: Error) => this.options.logger.error('rollback flag watch failed', { error: err.message }));
    }, intervalMs);
    this.timer.unref();
  }

  /** While rolled back: a flag seen off and then on again means a release manager re-enabled it. */
  async watchFlags(): Promise<WatchDecision[]> {
    const read = this.options.flagEnabled;
    const out: WatchDecision[] = [];
    for (const route of this.options.routes()) {
      if (!this.options.store.isRolledBack(route.routeId)) continue;
      const s = this.state(route);
      const states = read && route.flags.length > 0 ? route.flags.map((f) => read(f)) : [];
      if (states.length > 0 && states.every((v) => v === false)) s.sawFlagsOff = true;
      else if (s.sawFlagsOff && states.some((v) => v === true)) {
        const flag = route.flags[states.indexOf(true)];
        await this.resume(route.routeId, 'unleash', `flag ${flag} turned back on in Unleash after the rollback`);
        out.push({ routeId: route.routeId, action: 'resumed-by-flag' });
        continue;
      }
      out.push({ routeId: route.routeId, action: 'held' });
    }
    return out;
  }

  /** Clear a rollback (admin or Unleash); candidate traffic resumes on every replica. */
  async resume(routeId: string, by: string, reason: string): Promise<RollbackEntry> {
    const entry = await this.options.store.resume(routeId, reason, by);
    this.options.logger.warn('candidate resumed', { route: routeId, by, reason });
    const route = this.options.route(routeId);
    const event: RollbackEvent = Object.freeze({ kind: 'resume', routeId, at: entry.at, by, reason, decision: null, flags: route?.flags ?? [] });
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
    return this.options.routes().map((route) => {
      const s = this.states.get(route.routeId);
      return {
        routeId: route.routeId,
        decision: s ? s.judge.decision() : null,
        lastRollback: s?.lastRollback ?? null,
        rollback: this.options.store.get(route.routeId) ?? null,
      };
    });
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe();
    await this.settled();
  }
}
