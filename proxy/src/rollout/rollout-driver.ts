/**
 * The loop that drives rollout plans, on the replica holding the lease: every ROLLOUT_INTERVAL_MS
 * it renews the lease, starts the plans the route table declares (once per route), and moves each
 * running plan one turn of its state machine (rollout-plan.ts), carrying out the effects:
 *
 *   set-flags       both route flags through the Unleash Admin API (the Unleash UI shows each step)
 *   (persist)       the new state, compare-and-set with this leader's fencing token
 *   reset-evidence  the judge counts pairs afresh at the new step
 *   rollback        the existing rollback (gate on every replica, flags off, rollback event, webhook)
 *   event           the audit row (proxy_route_events), actor `proxy:<replica>`, written by the
 *                   same statement as the plan row (rollout-store.ts)
 *
 * Flags are set before the state is written: if Unleash refuses, nothing moved and the turn is
 * retried; if the write loses (the CLI paused the plan meanwhile, or a newer leader wrote), the
 * next leader or turn re-reads, and setting the same percentages again is harmless. The other
 * replicas only follow the flags. `tick()` is public: tests drive turns one by one.
 *
 * A tick that finds the previous turn still running (Unleash slow to answer a step) renews the
 * lease that turn holds: otherwise a live leader whose step outlasts the TTL loses the lease in the
 * middle of it, and the next leader starts the step's evidence over (measured with two proxy
 * processes, test/rollout-replicas.test.ts: steps of 1-3 s against a 1 s TTL made the lease change
 * hands every turn or two and held the plan at its first step).
 */
import type { Logger } from '@smp/platform';
import { auditRows, isRunning, newPlan, type PlanState } from '@smp/flags/rollout-state';
import type { RolloutSpec } from '@smp/flags/rollout-spec';
import type { RolloutStore } from '@smp/flags/rollout-store';
import type { JudgeView } from './judge-view.js';
import type { LeaderLease } from './leader-lease.js';
import { advancePlan } from './rollout-plan.js';

/** How the driver acts on the world; each injected. */
export interface RolloutActions {
  setFlags(routeId: string, live: number, shadow: number): Promise<void>;
  rollBack(routeId: string, reason: string, evidence: unknown): Promise<void>;
  resume(routeId: string, by: string, reason: string): Promise<void>;
  isRolledBack(routeId: string): boolean;
}

export interface RolloutDriverOptions {
  store: RolloutStore;
  lease: LeaderLease;
  judge: JudgeView;
  actions: RolloutActions;
  /** Plans the route table declares, read every turn (a reload takes effect). */
  declared: () => ReadonlyArray<{ routeId: string; spec: RolloutSpec }>;
  replicaId: string;
  now: () => number;
  logger: Logger;
  /** Called first every turn (e.g. migrate the plan tables until that succeeds); a failure skips the turn. */
  prepare?: () => Promise<void>;
}

/** One turn, for tests and status. */
export interface RolloutTurn {
  readonly leader: boolean;
  readonly token: number | null;
  /** Routes whose plan changed phase or step this turn. */
  readonly moved: readonly string[];
  readonly plans: readonly PlanState[];
}

export class RolloutDriver {
  private timer: NodeJS.Timeout | null = null;
  private turning: Promise<RolloutTurn> | null = null;
  /** The running turn's fencing token (null: no turn running, or it does not lead). */
  private turnToken: number | null = null;
  private renewing = false;
  private last: RolloutTurn = { leader: false, token: null, moved: [], plans: [] };

  constructor(private readonly options: RolloutDriverOptions) {}

  get actor(): string {
    return `proxy:${this.options.replicaId}`;
  }

  /** The last turn's view (leader or not, the plans read). */
  get lastTurn(): RolloutTurn {
    return this.last;
  }

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.tick().catch((err: Error) => this.options.logger.error('rollout turn failed', { error: err.message }));
    }, intervalMs);
    this.timer.unref();
  }

  /** One turn; serialised (never overlaps the previous one). */
  tick(): Promise<RolloutTurn> {
    if (this.turning !== null) this.renewDuringTurn();
    this.turning ??= this.turn().finally(() => {
      this.turning = null;
      this.turnToken = null;
    });
    return this.turning;
  }

  private renewDuringTurn(): void {
    if (this.turnToken === null || this.renewing) return;
    const { lease, logger } = this.options;
    this.renewing = true;
    lease
      .renew()
      .then(
        (held) => held || logger.warn('rollout lease lost during a turn: a newer leader fences its writes', { replica: this.options.replicaId }),
        (err: Error) => logger.warn('rollout lease not renewed during a turn', { error: err.message }),
      )
      .finally(() => {
        this.renewing = false;
      });
  }

  private async turn(): Promise<RolloutTurn> {
    const { lease, store, logger } = this.options;
    let token: number | null = null;
    try {
      token = await lease.hold();
    } catch (err) {
      logger.warn('rollout lease unavailable: not driving plans this turn', { error: (err as Error).message });
    }
    if (token !== null && this.options.prepare) {
      try {
        await this.options.prepare();
      } catch (err) {
        logger.warn('rollout store unavailable: not driving plans this turn', { error: (err as Error).message });
        token = null;
      }
    }
    this.turnToken = token;
    if (token === null) {
      this.last = { leader: false, token: null, moved: [], plans: this.last.plans };
      return this.last;
    }
    await this.startDeclared();
    const moved: string[] = [];
    const plans: PlanState[] = [];
    const all = await store.list();
    if (!this.last.leader) {
      // Newly leading (first turn, or taking over from a dead leader): this replica's judge may hold
      // pairs from before the current step; only pairs from now on count towards it.
      const running = all.filter((p) => isRunning(p.state)).map((p) => p.state.routeId);
      for (const routeId of running) this.options.judge.resetEvidence(routeId);
      logger.info('rollout lease taken: driving plans', { replica: this.options.replicaId, token, plans: running });
    }
    for (const stored of all) {
      const state = await this.advance(stored.state, stored.version, token).catch((err: Error) => {
        logger.warn('rollout plan turn failed; retried next turn', { route: stored.state.routeId, error: err.message });
        return stored.state;
      });
      if (state.phase !== stored.state.phase || state.stepIndex !== stored.state.stepIndex) moved.push(state.routeId);
      plans.push(state);
    }
    this.last = { leader: true, token, moved, plans };
    return this.last;
  }

  private async startDeclared(): Promise<void> {
    const { store, now } = this.options;
    for (const { routeId, spec } of this.options.declared()) {
      if ((await store.get(routeId)) !== undefined) continue;
      const started = auditRows([{ kind: 'event', event: 'rollout-start', summary: 'plan declared in the route table started', detail: { spec } }], routeId, this.actor, now());
      await store.create(newPlan(routeId, spec, 'route-table', now()), started);
    }
  }

  private async advance(state: PlanState, version: number, token: number): Promise<PlanState> {
    if (!isRunning(state)) return state;
    const { actions, judge, store, now } = this.options;
    const t = advancePlan(state, { reading: judge.verdict(state.routeId), now: now(), rolledBack: actions.isRolledBack(state.routeId) });
    if (t.state === state) return state;
    for (const e of t.effects) {
      if (e.kind !== 'set-flags') continue;
      if (state.phase === 'pending' && actions.isRolledBack(state.routeId)) await actions.resume(state.routeId, this.actor, 'a rollout plan started');
      await actions.setFlags(state.routeId, e.live, e.shadow);
    }
    // The step's audit rows go with the plan row, in one statement: never one without the other.
    if (!(await store.update(state.routeId, version, t.state, token, auditRows(t.effects, state.routeId, this.actor, now())))) return state;
    for (const e of t.effects) {
      if (e.kind === 'reset-evidence') judge.resetEvidence(state.routeId);
      else if (e.kind === 'rollback') await actions.rollBack(state.routeId, e.reason, e.evidence);
    }
    if (t.effects.length > 0) this.options.logger.info('rollout plan moved', { route: state.routeId, phase: t.state.phase, step: t.state.stepIndex });
    return t.state;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.turning?.catch(() => undefined);
    await this.options.lease.release().catch(() => undefined);
  }
}
