/**
 * What a release manager can ask of the migration flags, parsed from the command line and carried
 * out through the Unleash Admin API:
 *
 *   status [route…]                    every route's live and shadow flag: on/off, %, variants
 *   live <route> <percent>             that share of clients goes to the extracted service (flag on)
 *   shadow <route> <percent>           that share of requests is mirrored to it and compared (flag on)
 *   off <route>                        roll back by hand: live and shadow flags off (percentages kept)
 *   variant <route> <name>[@<pct>]=<json>…   variants on the live flag; `variant <route> --clear`
 *   rollout/pause/resume/abort/history  rollout plans and the audit trail (rollout-commands.ts)
 *   ensure                             create any missing migration flag (disabled, 0%)
 *   bootstrap                          print the client-features JSON for UNLEASH_BOOTSTRAP
 *
 * Parsing is pure (UsageError for anything malformed, before any call); running returns the text
 * to print.
 */
import { clientFeaturesDocument, flagName, isRouteId, migrationFlags, MIGRATION_ROUTES, ROUTE_IDS, type FlagKind, type RouteId } from './definitions.js';
import type { FlagState, UnleashAdminClient } from './admin-client.js';
import { parseVariantArg, toVariantDefinitions, VariantError, type VariantSpec } from './variants.js';
import { parsePlanOptions, RolloutUsageError, type RolloutCommand } from './rollout-commands.js';

export type ReleaseCommand =
  | { kind: 'help' }
  | { kind: 'bootstrap' }
  | { kind: 'ensure' }
  | { kind: 'status'; routes: RouteId[] }
  | { kind: 'rollout'; flag: FlagKind; route: RouteId; percent: number }
  | { kind: 'off'; route: RouteId }
  | { kind: 'variants'; route: RouteId; variants: VariantSpec[] }
  | RolloutCommand;

/** Bad command line: printed with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `usage: npm run flags -- <command>
  status [route…]                           live and shadow flags of every route (or the given ones)
  live <route> <percent>                    serve <percent>% of clients from the extracted service
  shadow <route> <percent>                  mirror <percent>% of requests to it and compare
  off <route>                               roll back: live and shadow flags off (percentages kept)
  variant <route> <name>[@<percent>]=<json>…   variants of the live flag, e.g. v2@10='{"model_version":"2"}'
  variant <route> --clear                   remove the live flag's variants
  rollout <route> --steps 5,25,50,100 [--shadow-first] [--min-pairs N] [--hold 10m]
                                            a plan the proxy walks, each step gated by the judge
  pause <route> | resume <route> | abort <route>   hold, go on with, or end (live to 0%) a plan
  history <route>                           every recorded action on the route's flags, with why
  ensure                                    create missing migration flags (disabled, 0%)
  bootstrap                                 print the client-features JSON for UNLEASH_BOOTSTRAP
routes: ${ROUTE_IDS.join(', ')}
environment: UNLEASH_URL, UNLEASH_ADMIN_TOKEN (default: the local stack's .stack/unleash.json), UNLEASH_ENVIRONMENT,
  DATABASE_URL (plans and history: the proxy's database; default: the local stack's .stack/database.json)`;

function route(arg: string | undefined): RouteId {
  if (arg === undefined) throw new UsageError('missing <route>');
  if (!isRouteId(arg)) throw new UsageError(`unknown route "${arg}"; routes: ${ROUTE_IDS.join(', ')}`);
  return arg;
}

function percent(arg: string | undefined): number {
  if (arg === undefined) throw new UsageError('missing <percent>');
  const text = arg.trim().replace(/%$/, '');
  if (!/^\d{1,3}$/.test(text) || Number(text) > 100) throw new UsageError(`percent must be an integer 0..100, got "${arg}"`);
  return Number(text);
}

function arity(args: string[], n: number, what: string): void {
  if (args.length !== n) throw new UsageError(`${what} takes ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`);
}

/** The command `argv` asks for; throws UsageError naming what is wrong. */
export function parseCommand(argv: readonly string[]): ReleaseCommand {
  const [name, ...args] = argv;
  switch (name) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { kind: 'help' };
    case 'bootstrap':
      arity(args, 0, 'bootstrap');
      return { kind: 'bootstrap' };
    case 'ensure':
      arity(args, 0, 'ensure');
      return { kind: 'ensure' };
    case 'status':
      return { kind: 'status', routes: args.map(route) };
    case 'live':
    case 'shadow':
      arity(args, 2, name);
      return { kind: 'rollout', flag: name, route: route(args[0]), percent: percent(args[1]) };
    case 'off':
      arity(args, 1, 'off');
      return { kind: 'off', route: route(args[0]) };
    case 'variant':
    case 'variants': {
      const r = route(args[0]);
      const rest = args.slice(1);
      if (rest.length === 1 && rest[0] === '--clear') return { kind: 'variants', route: r, variants: [] };
      if (rest.length === 0) throw new UsageError('give at least one <name>[@<percent>]=<json>, or --clear');
      try {
        const variants = rest.map(parseVariantArg);
        toVariantDefinitions(variants);
        return { kind: 'variants', route: r, variants };
      } catch (err) {
        if (err instanceof VariantError) throw new UsageError(err.message);
        throw err;
      }
    }
    case 'rollout': {
      const r = route(args[0]);
      try {
        return { kind: 'plan', route: r, spec: parsePlanOptions(args.slice(1)) };
      } catch (err) {
        if (err instanceof RolloutUsageError) throw new UsageError(err.message);
        throw err;
      }
    }
    case 'pause':
    case 'resume':
    case 'abort':
      arity(args, 1, name);
      return { kind: 'control', action: name, route: route(args[0]) };
    case 'history':
      arity(args, 1, 'history');
      return { kind: 'history', route: route(args[0]) };
    default:
      throw new UsageError(`unknown command "${name}"`);
  }
}

function candidateOf(r: RouteId): string {
  return MIGRATION_ROUTES.find((m) => m.id === r)!.candidate;
}

function onOff(s: FlagState | undefined): string {
  if (!s) return 'missing';
  const pct = s.rollout === null ? 'no strategy' : `${s.rollout}%`;
  return `${s.enabled ? 'on ' : 'off'} ${pct.padStart(4)}${s.otherStrategies > 0 ? ` (+${s.otherStrategies} other strateg${s.otherStrategies === 1 ? 'y' : 'ies'})` : ''}`;
}

function variantsText(s: FlagState | undefined): string {
  if (!s || s.variants.length === 0) return '-';
  return s.variants.map((v) => `${v.name} ${v.weight / 10}% ${JSON.stringify(v.payload)}`).join(' · ');
}

/** The status table (pure). `states` maps flag name to state, absent for missing flags. */
export function formatStatus(routes: readonly RouteId[], states: ReadonlyMap<string, FlagState>, where: string): string {
  const rows = routes.map((r) => [r, onOff(states.get(flagName(r, 'live'))), onOff(states.get(flagName(r, 'shadow'))), variantsText(states.get(flagName(r, 'live')))]);
  const head = ['route', 'live', 'shadow', 'variants (live)'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  const missing = routes.some((r) => !states.has(flagName(r, 'live')) || !states.has(flagName(r, 'shadow')));
  return [where, '', line(head), ...rows.map(line), ...(missing ? ['', 'missing flags: run `npm run flags -- ensure` (npm start creates them too)'] : [])].join('\n');
}

function flagLine(s: FlagState): string {
  return `${s.name}: ${s.enabled ? 'on' : 'off'}, rollout ${s.rollout ?? 0}% in ${s.environment}`;
}

/** The output of a command that needs no server (help, bootstrap), else undefined. */
export function offlineOutput(cmd: ReleaseCommand): string | undefined {
  if (cmd.kind === 'help') return USAGE;
  if (cmd.kind === 'bootstrap') return JSON.stringify(clientFeaturesDocument(), null, 2);
  return undefined;
}

/** The commands that work on rollout plans or the audit trail (rollout-commands.ts runs them). */
export function isRolloutCommand(cmd: ReleaseCommand): cmd is RolloutCommand {
  return cmd.kind === 'plan' || cmd.kind === 'control' || cmd.kind === 'history';
}

/** The audit line of a manual flag change (null: the command changes no flag). */
export function manualChange(cmd: ReleaseCommand): { route: RouteId; summary: string; detail: unknown } | null {
  if (cmd.kind === 'rollout') return { route: cmd.route, summary: `${cmd.flag} ${cmd.percent}% (flag on)`, detail: { flag: flagName(cmd.route, cmd.flag), percent: cmd.percent } };
  if (cmd.kind === 'off') return { route: cmd.route, summary: 'live and shadow flags off', detail: null };
  if (cmd.kind === 'variants') return { route: cmd.route, summary: cmd.variants.length ? `live flag variants: ${cmd.variants.map((v) => v.name).join(', ')}` : 'live flag variants removed', detail: { variants: cmd.variants } };
  return null;
}

/** Carries out a flags command; resolves with the text to print. Admin API failures reject (UnleashAdminError). */
export async function runCommand(cmd: Exclude<ReleaseCommand, RolloutCommand>, admin: UnleashAdminClient): Promise<string> {
  switch (cmd.kind) {
    case 'help':
    case 'bootstrap':
      return offlineOutput(cmd)!;
    case 'ensure': {
      const results = await admin.ensureFlags(migrationFlags());
      return results
        .map((r) => `${r.name}: ${r.created ? 'created (off, 0%)' : r.revived ? 'revived from the archive' : r.strategyAdded ? 'rollout strategy added (0%)' : 'already there'}`)
        .join('\n');
    }
    case 'status': {
      const routes = cmd.routes.length > 0 ? cmd.routes : [...ROUTE_IDS];
      const states = new Map<string, FlagState>();
      for (const r of routes) {
        for (const kind of ['live', 'shadow'] as const) {
          const s = await admin.getFlag(flagName(r, kind));
          if (s) states.set(s.name, s);
        }
      }
      return formatStatus(routes, states, `Unleash ${admin.baseUrl}, project ${admin.project}, environment ${admin.environment}`);
    }
    case 'rollout': {
      const name = flagName(cmd.route, cmd.flag);
      await admin.setRollout(name, cmd.percent);
      const s = await admin.enable(name);
      const meaning =
        cmd.flag === 'live'
          ? `${cmd.route}: ${cmd.percent}% of clients are served by ${candidateOf(cmd.route)}, the rest by the monolith`
          : `${cmd.route}: ${cmd.percent}% of requests are mirrored between the monolith and ${candidateOf(cmd.route)} and the answers compared (clients still get the serving side's answer)`;
      return `${flagLine(s)}\n${meaning}`;
    }
    case 'off': {
      const live = await admin.disable(flagName(cmd.route, 'live'));
      const shadow = await admin.disable(flagName(cmd.route, 'shadow'));
      return `${flagLine(live)} (kept for a later ramp)\n${flagLine(shadow)} (kept for a later ramp)\n${cmd.route}: every client is served by the monolith again, nothing is mirrored`;
    }
    case 'variants': {
      const s = await admin.setVariants(flagName(cmd.route, 'live'), cmd.variants);
      if (s.variants.length === 0) return `${s.name}: variants removed`;
      return [`${s.name}: ${s.variants.length} variant${s.variants.length === 1 ? '' : 's'} (of the clients the live flag sends to ${candidateOf(cmd.route)})`, ...s.variants.map((v) => `  ${v.name.padEnd(12)} ${String(v.weight / 10).padStart(5)}%  ${JSON.stringify(v.payload)}`)].join('\n');
    }
  }
}
