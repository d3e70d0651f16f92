/**
 * A rollout plan as a pure state machine (Flagger's canary steps, Argo Rollouts' setWeight/pause,
 * gated by the paired judge instead of metrics): given the plan's state, the judge's reading of
 * the pairs taken at the current step and the time, `advancePlan` returns the next state and the
 * effects the driver must carry out (set the flags through Unleash, reset the judge's evidence,
 * roll back, record an event). No I/O, no clock: tests drive it with tables of readings and times.
 *
 *   steps 5,25,100, shadowFirst, minPairs 200, hold 10m:
 *   pending ─► shadow (live 0, shadow 100) ─ pass on ≥ 200 pairs, ≥ 10m ─► live 5 ─ … ─► live 100 ─ pass ─► completed
 *   undecided (or pass on too few pairs, or too early): the step holds
 *   fail at any step (or the route rolled back by its judge): the existing rollback, the plan ends rolled-back
 *
 * A step advances only on evidence taken *at that step*: every move resets the judge's evidence.
 * The state, its description and pause/resume/abort (the CLI needs them too) live in
 * @smp/flags/rollout-state.
 */
import { isRunning, label, planPercentages, whatNext, type JudgeReading, type PlanState, type PlanTransition } from '@smp/flags/rollout-state';
import { formatDuration } from '@smp/flags/rollout-spec';

export type { PlanEffect, PlanTransition } from '@smp/flags/rollout-state';

export interface PlanInput {
  readonly reading: JudgeReading;
  readonly now: number;
  /** The route is rolled back (by the judge's own loop, or on another replica). */
  readonly rolledBack: boolean;
}

/** Move to the phase/step after `state` (or the first one): flags, fresh evidence, an event. */
function moveOn(state: PlanState, now: number, why: string, detail: unknown): PlanTransition {
  const first = state.phase === 'pending';
  let next: PlanState;
  if (first && state.spec.shadowFirst) next = { ...state, phase: 'shadow', stepIndex: -1 };
  else if (first || state.phase === 'shadow') next = { ...state, phase: 'live', stepIndex: 0 };
  else if (state.stepIndex + 1 < state.spec.steps.length) next = { ...state, stepIndex: state.stepIndex + 1 };
  else {
    const done: PlanState = { ...state, phase: 'completed', next: 'nothing: the plan is complete', nextAt: null, endReason: why };
    return { state: done, effects: [{ kind: 'event', event: 'rollout-complete', summary: `plan complete at ${label(state)}: ${why}`, detail }] };
  }
  next = { ...next, stepStartedAt: now, reading: null, readAt: null };
  next = { ...next, ...whatNext(next, null) };
  const pct = planPercentages(next)!;
  const where = next.phase === 'shadow' ? '100% shadow, 0% live' : `${pct.live}% live (step ${next.stepIndex + 1}/${next.spec.steps.length})`;
  return {
    state: next,
    effects: [
      { kind: 'set-flags', live: pct.live, shadow: pct.shadow },
      { kind: 'reset-evidence' },
      { kind: 'event', event: 'rollout-step', summary: `${where}: ${why}`, detail },
    ],
  };
}

/** One step of the plan. Terminal states and paused plans produce no effects. */
export function advancePlan(state: PlanState, input: PlanInput): PlanTransition {
  const { reading, now } = input;
  if (!isRunning(state)) return { state, effects: [] };
  // A new plan on a rolled-back route starts it again (the driver resumes the route with the first step).
  if (state.phase === 'pending') return state.paused ? { state, effects: [] } : moveOn(state, now, `plan started by ${state.startedBy}`, null);
  const read: PlanState = { ...state, reading, readAt: now };
  if (input.rolledBack || reading.state === 'fail') {
    // The judge failed: the rollback controller has usually rolled the route back already (the
    // sequential judge acts on the failing pair); otherwise the plan asks for the same rollback.
    const why = reading.state === 'fail' ? `the judge failed at ${label(state)} on ${reading.pairs} pairs` : `the route was rolled back at ${label(state)} (its judge failed on a replica)`;
    return {
      state: { ...read, phase: 'rolled-back', next: 'nothing: the plan ended', nextAt: null, endReason: why },
      effects: [
        ...(input.rolledBack ? [] : [{ kind: 'rollback' as const, reason: why, evidence: reading.evidence }]),
        { kind: 'event', event: 'rollout-abort', summary: `plan ended: ${why}; candidate rolled back, flags off`, detail: reading.state === 'fail' ? reading.evidence : null },
      ],
    };
  }
  if (state.paused) return { state: { ...read, ...whatNext(state, reading) }, effects: [] };
  const held = now - (state.stepStartedAt ?? now);
  if (reading.state === 'pass' && reading.pairs >= state.spec.minPairs && held >= state.spec.holdMs) {
    return moveOn(read, now, `judge passed on ${reading.pairs} pairs at ${label(state)} after ${formatDuration(held)}`, reading.evidence);
  }
  return { state: { ...read, ...whatNext(read, reading) }, effects: [] };
}

