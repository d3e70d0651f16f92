/**
 * Turns what the proxy observes into route events: a change of a route flag's enabled / rollout %
 * / variants in Unleash (`flag-change`), and a change of a route's judge verdict
 * (`judge-decision`). Both are enqueued on the RouteEventWriter (never awaited) and deduplicated
 * there per (route, kind, subject) against the last stored state, so N replicas write one row.
 *
 *   flagState(def)   // 'on 30% variants v1:50,v2:50' — the compared state (pure)
 */
import type { FeatureInterface } from 'unleash-client/lib/feature.js';
import { rolloutPercent } from '../split/rollout.js';
import type { RouteEvent } from './route-events.js';

/** A flag's observable state as one comparable line; `missing` when Unleash does not define it. */
export function flagState(def: FeatureInterface | undefined): string {
  if (def === undefined) return 'missing';
  if (!def.enabled) return 'off';
  const variants = (def.variants ?? []).map((v) => `${v.name}:${v.weight}`).join(',');
  return `on ${rolloutPercent(def)}%${variants ? ` variants ${variants}` : ''}`;
}

export interface RouteFlags {
  readonly routeId: string;
  readonly flags: readonly string[];
}

/**
 * Call `observe()` after every flag refresh: it enqueues one event per flag whose state changed
 * since the last call (the first call enqueues every flag; the writer drops those already stored).
 */
export function flagChangeObserver(options: {
  routes: () => readonly RouteFlags[];
  definition: (flag: string) => FeatureInterface | undefined;
  enqueue: (event: RouteEvent) => void;
  actor: string;
  now: () => number;
}): () => void {
  const seen = new Map<string, string>();
  return () => {
    for (const route of options.routes()) {
      for (const flag of route.flags) {
        const state = flagState(options.definition(flag));
        const before = seen.get(flag);
        if (before === state) continue;
        // Flags not fetched yet (or no Unleash at all) are not news; a flag deleted later is.
        if (before === undefined && state === 'missing') continue;
        seen.set(flag, state);
        options.enqueue({
          at: options.now(),
          route: route.routeId,
          kind: 'flag-change',
          actor: options.actor,
          subject: flag,
          state,
          summary: `${flag}: ${before === undefined ? '' : `${before} → `}${state}`,
          detail: { flag, from: before ?? null, to: state },
        });
      }
    }
  };
}

/** The judge's verdict for a route changed: one event (the writer keeps only real changes). */
export function judgeDecisionEvent(route: string, verdict: string, actor: string, at: number, evidence: unknown): RouteEvent {
  return { at, route, kind: 'judge-decision', actor, subject: 'verdict', state: verdict, summary: `judge: ${verdict}`, detail: evidence ?? null };
}
