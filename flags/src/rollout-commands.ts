/**
 * The release manager's rollout commands, on the plan store the proxy's leader reads (PostgreSQL,
 * the proxy's DATABASE_URL) and, for abort, the Unleash Admin API:
 *
 *   rollout <route> --steps 5,25,50,100 [--shadow-first] [--min-pairs N] [--hold 10m]
 *   pause <route> · resume <route> · abort <route> · history <route>
 *
 * Starting a plan writes it (`pending`); the proxy replica holding the rollout lease takes the
 * first step on its next turn and every step after, through the Unleash Admin API. Parsing is pure
 * (UsageError: exit 2, nothing written, nothing sent).
 */
import type { PgPool } from '@smp/platform';
import type { UnleashAdminClient } from './admin-client.js';
import { flagName, type RouteId } from './definitions.js';
import { DEFAULT_HOLD_MS, DEFAULT_MIN_PAIRS, describeSpec, formatDuration, parseDuration, parseSteps, RolloutSpecError, validateMinPairs, type RolloutSpec } from './rollout-spec.js';
import { auditRows, controlPlan, describePhase, isRunning, newPlan, type PlanState } from './rollout-state.js';
import { PgRolloutStore, type StoredPlan } from './rollout-store.js';
import { formatHistory, listRouteEvents } from './route-events.js';

export type RolloutCommand =
  | { kind: 'plan'; route: RouteId; spec: RolloutSpec }
  | { kind: 'control'; action: 'pause' | 'resume' | 'abort'; route: RouteId }
  | { kind: 'history'; route: RouteId };

/** A plan's command line went wrong: the message to print (exit 2). */
export class RolloutUsageError extends Error {}

/** `rollout <route> --steps … [--shadow-first] [--min-pairs N] [--hold D]` after the route was checked. */
export function parsePlanOptions(args: readonly string[]): RolloutSpec {
  let steps: number[] | null = null;
  let shadowFirst = false;
  let minPairs = DEFAULT_MIN_PAIRS;
  let holdMs = DEFAULT_HOLD_MS;
  try {
    for (let i = 0; i < args.length; i++) {
      const [flag, inline] = args[i].split(/=(.*)/s, 2);
      const value = () => {
        const v = inline ?? args[++i];
        if (v === undefined) throw new RolloutSpecError(`${flag} needs a value`);
        return v;
      };
      switch (flag) {
        case '--steps':
          steps = parseSteps(value());
          break;
        case '--shadow-first':
          shadowFirst = true;
          break;
        case '--min-pairs': {
          const v = value();
          if (!/^\d+$/.test(v.trim())) throw new RolloutSpecError(`--min-pairs must be an integer 1..1000000, got "${v}"`);
          minPairs = validateMinPairs(Number(v));
          break;
        }
        case '--hold':
          holdMs = parseDuration(value());
          break;
        default:
          throw new RolloutSpecError(`unknown option "${args[i]}" (rollout takes --steps, --shadow-first, --min-pairs, --hold)`);
      }
    }
  } catch (err) {
    if (err instanceof RolloutSpecError) throw new RolloutUsageError(err.message);
    throw err;
  }
  if (steps === null) throw new RolloutUsageError('rollout needs --steps, e.g. --steps 5,25,50,100');
  return Object.freeze({ steps: Object.freeze(steps), shadowFirst, minPairs, holdMs });
}

export interface RolloutContext {
  pool: PgPool;
  admin: UnleashAdminClient;
  /** `cli:<user>` */
  actor: string;
  now: () => number;
}

/** The failure of a rollout command the user can fix (exit 2, nothing changed). */
export class RolloutStateError extends Error {}

async function control(cmd: Extract<RolloutCommand, { kind: 'control' }>, ctx: RolloutContext, store: PgRolloutStore): Promise<string> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await store.get(cmd.route);
    if (!stored) throw new RolloutStateError(`${cmd.route}: no rollout plan (start one with \`rollout ${cmd.route} --steps …\`)`);
    const t = controlPlan(stored.state, cmd.action, ctx.actor, ctx.now());
    if ('error' in t) throw new RolloutStateError(t.error);
    // The leader may have moved the plan meanwhile: compare-and-set, re-read on a lost race.
    if (!(await store.update(cmd.route, stored.version, t.state, undefined, auditRows(t.effects, cmd.route, ctx.actor, ctx.now())))) continue;
    for (const e of t.effects) if (e.kind === 'set-flags') await ctx.admin.setRollout(flagName(cmd.route, 'live'), e.live);
    const what = cmd.action === 'abort' ? `plan aborted; ${flagName(cmd.route, 'live')} at 0% (shadow kept)` : cmd.action === 'pause' ? 'plan paused: the leader moves nothing until `resume`' : 'plan resumed: the step\'s hold starts again';
    return `${cmd.route}: ${what}`;
  }
  throw new Error(`${cmd.route}: the plan kept changing under this command; try again`);
}

export async function runRolloutCommand(cmd: RolloutCommand, ctx: RolloutContext): Promise<string> {
  const store = new PgRolloutStore(ctx.pool);
  switch (cmd.kind) {
    case 'plan': {
      const started = auditRows([{ kind: 'event', event: 'rollout-start', summary: `plan started: ${describeSpec(cmd.spec)}`, detail: { spec: cmd.spec } }], cmd.route, ctx.actor, ctx.now());
      const created = await store.create(newPlan(cmd.route, cmd.spec, ctx.actor, ctx.now()), started);
      if (!created) {
        const running = await store.get(cmd.route);
        throw new RolloutStateError(`${cmd.route}: a plan is already running (${running ? describePhase(running.state) : '?'}); \`abort ${cmd.route}\` first`);
      }
      return `${cmd.route}: plan started: ${describeSpec(cmd.spec)}\nthe proxy replica holding the rollout lease takes the first step on its next turn (ROLLOUT_INTERVAL_MS); follow it with \`npm run flags -- status\``;
    }
    case 'control':
      return control(cmd, ctx, store);
    case 'history':
      return formatHistory(cmd.route, await listRouteEvents(ctx.pool, cmd.route));
  }
}

function clock(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toISOString().slice(11, 19);
}

/** The plans part of `status` (pure). */
export function formatPlans(plans: readonly StoredPlan[], now: number): string {
  if (plans.length === 0) return 'rollout plans: none (start one with `npm run flags -- rollout <route> --steps 5,25,50,100`)';
  const lines = ['rollout plans:'];
  for (const { state } of plans) lines.push(...planLines(state, now));
  return lines.join('\n');
}

function planLines(s: PlanState, now: number): string[] {
  const head = `  ${s.routeId.padEnd(11)} ${describePhase(s)}${s.paused ? ' (paused)' : ''}  ·  ${describeSpec(s.spec)}  ·  by ${s.startedBy}`;
  if (!isRunning(s)) return [head, `      ended: ${s.endReason ?? s.phase}`];
  const reading = s.reading === null ? 'no judge reading yet' : `pairs at this step ${s.reading.pairs}, judge ${s.reading.state} (read ${formatDuration(Math.max(0, now - (s.readAt ?? now)))} ago)`;
  const when = s.nextAt === null ? '' : s.nextAt <= now ? ' (hold over)' : ` (hold ends ${clock(s.nextAt)} UTC, in ${formatDuration(s.nextAt - now)})`;
  return [head, `      ${reading}`, `      next: ${s.next}${when}`];
}
