/**
 * A rollout plan's state as it is stored and shown: written by the proxy replica that drives it (the
 * leader) and by the flags CLI (start, pause, resume, abort), read by `npm run flags -- status`.
 *
 *   pending ─► shadow (100% shadow, 0% live; only with shadowFirst) ─► live step 0 ─► … ─► completed
 *                      └──────────── judge fails ─► rolled-back ◄────────────┘
 *   any running phase ─► aborted (abort, or the route rolled back outside the plan)
 */
import type { RolloutSpec } from './rollout-spec.js';
import type { RouteEvent, RouteEventKind } from './route-events.js';

export type PlanPhase = 'pending' | 'shadow' | 'live' | 'completed' | 'rolled-back' | 'aborted';

export const RUNNING_PHASES: readonly PlanPhase[] = ['pending', 'shadow', 'live'];

/** The judge's word on one route, counted since the current step began. */
export interface JudgeReading {
  readonly state: 'undecided' | 'pass' | 'fail';
  /** Pairs the judge has taken at this step. */
  readonly pairs: number;
  /** The judge's evidence (criteria, numbers), kept with every automatic decision. */
  readonly evidence: unknown;
}

export interface PlanState {
  readonly routeId: string;
  readonly spec: RolloutSpec;
  readonly phase: PlanPhase;
  /** Index into spec.steps while live, else -1. */
  readonly stepIndex: number;
  /** When the current phase/step began (ms), null while pending. */
  readonly stepStartedAt: number | null;
  readonly paused: boolean;
  /** Who started the plan (`cli:<user>`, `route-table`). */
  readonly startedBy: string;
  readonly startedAt: number;
  /** The last judge reading at this step, and when it was taken. */
  readonly reading: JudgeReading | null;
  readonly readAt: number | null;
  /** What happens next and from when (ms), for status; computed by the leader. */
  readonly next: string;
  readonly nextAt: number | null;
  /** Why the plan ended, when it did. */
  readonly endReason: string | null;
}

/** The live and shadow percentages a plan's current phase asks for (null: it sets nothing). */
export function planPercentages(state: Pick<PlanState, 'phase' | 'stepIndex' | 'spec'>): { live: number; shadow: number } | null {
  if (state.phase === 'shadow') return { live: 0, shadow: 100 };
  if (state.phase === 'live' || state.phase === 'completed') return { live: state.spec.steps[Math.max(0, state.stepIndex)], shadow: 100 };
  return null;
}

/** A fresh plan, waiting for the leader's first step. */
export function newPlan(routeId: string, spec: RolloutSpec, startedBy: string, now: number): PlanState {
  return {
    routeId,
    spec,
    phase: 'pending',
    stepIndex: -1,
    stepStartedAt: null,
    paused: false,
    startedBy,
    startedAt: now,
    reading: null,
    readAt: null,
    next: spec.shadowFirst ? 'start: 100% shadow' : `start: ${spec.steps[0]}% live`,
    nextAt: now,
    endReason: null,
  };
}

/** `live 25% (step 2/4)`, `shadow`, `completed` … */
export function describePhase(state: PlanState): string {
  switch (state.phase) {
    case 'live':
      return `live ${state.spec.steps[state.stepIndex]}% (step ${state.stepIndex + 1}/${state.spec.steps.length})`;
    case 'shadow':
      return 'shadow 100% (before live)';
    default:
      return state.phase;
  }
}

/** What the driver must do, in order. */
export type PlanEffect =
  | { readonly kind: 'set-flags'; readonly live: number; readonly shadow: number }
  | { readonly kind: 'reset-evidence' }
  | { readonly kind: 'rollback'; readonly reason: string; readonly evidence: unknown }
  | { readonly kind: 'event'; readonly event: RouteEventKind; readonly summary: string; readonly detail: unknown };

export interface PlanTransition {
  readonly state: PlanState;
  readonly effects: readonly PlanEffect[];
}

/** The audit rows of a transition's `event` effects (written with the plan row: rollout-store.ts). */
export function auditRows(effects: readonly PlanEffect[], route: string, actor: string, at: number): RouteEvent[] {
  return effects.flatMap((e) => (e.kind === 'event' ? [{ at, route, kind: e.event, actor, summary: e.summary, detail: e.detail }] : []));
}

export function isRunning(state: PlanState): boolean {
  return RUNNING_PHASES.includes(state.phase);
}

export function label(state: PlanState): string {
  return state.phase === 'shadow' ? '100% shadow' : `${state.spec.steps[state.stepIndex]}% live`;
}

/** What the step waits for, and from when it may advance (for status). */
export function whatNext(state: PlanState, reading: JudgeReading | null): Pick<PlanState, 'next' | 'nextAt'> {
  if (!isRunning(state)) return { next: state.next, nextAt: state.nextAt };
  if (state.paused) return { next: 'paused: `resume` to go on', nextAt: null };
  if (state.phase === 'pending') return { next: state.spec.shadowFirst ? 'start: 100% shadow' : `start: ${state.spec.steps[0]}% live`, nextAt: null };
  const target = state.phase === 'shadow' ? `${state.spec.steps[0]}% live` : state.stepIndex + 1 < state.spec.steps.length ? `${state.spec.steps[state.stepIndex + 1]}% live` : 'complete';
  const holdUntil = (state.stepStartedAt ?? 0) + state.spec.holdMs;
  const pairs = reading?.pairs ?? 0;
  const verdict = reading?.state ?? 'undecided';
  const needs: string[] = [];
  if (verdict !== 'pass') needs.push(`a passing judge (now ${verdict})`);
  if (pairs < state.spec.minPairs) needs.push(`${state.spec.minPairs - pairs} more pairs (${pairs}/${state.spec.minPairs})`);
  return { next: `${target} after ${needs.length ? needs.join(' and ') : 'the hold'}${needs.length ? `, not before the hold ends` : ''}`, nextAt: holdUntil };
}

/** Pause/resume/abort asked by someone (`cli:<user>`): the new state and its event. */
export function controlPlan(state: PlanState, action: 'pause' | 'resume' | 'abort', actor: string, now: number): PlanTransition | { error: string } {
  if (!isRunning(state)) return { error: `${state.routeId}: the plan is ${state.phase}, nothing to ${action}` };
  if (action === 'pause') {
    if (state.paused) return { error: `${state.routeId}: the plan is already paused` };
    const next = { ...state, paused: true };
    return { state: { ...next, ...whatNext(next, state.reading) }, effects: [{ kind: 'event', event: 'rollout-pause', summary: `paused at ${state.phase === 'pending' ? 'start' : label(state)} by ${actor}`, detail: null }] };
  }
  if (action === 'resume') {
    if (!state.paused) return { error: `${state.routeId}: the plan is not paused` };
    // The hold starts again: a paused step has not been watched as a running one.
    const next = { ...state, paused: false, stepStartedAt: state.stepStartedAt === null ? null : now };
    return { state: { ...next, ...whatNext(next, state.reading) }, effects: [{ kind: 'event', event: 'rollout-resume', summary: `resumed at ${state.phase === 'pending' ? 'start' : label(state)} by ${actor}`, detail: null }] };
  }
  const why = `aborted by ${actor}`;
  return {
    state: { ...state, phase: 'aborted', next: 'nothing: the plan ended', nextAt: null, endReason: why },
    effects: [
      { kind: 'set-flags', live: 0, shadow: planPercentages(state)?.shadow ?? 0 },
      { kind: 'event', event: 'rollout-abort', summary: `plan aborted at ${state.phase === 'pending' ? 'start' : label(state)} by ${actor}: live back to 0%`, detail: null },
    ],
  };
}
