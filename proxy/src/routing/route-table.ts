/**
 * The compiled route table: where a request goes. Built once from a validated route file, deeply
 * frozen, and swapped whole on reload, so a lookup is a plain read that never locks.
 *
 *   const table = compileRouteTable(json, { legacy: 'http://127.0.0.1:8010', prediction: '…' });
 *   table.match('POST', '/api/v1/ml/predict')   // -> route ml-predict (legacy + candidate)
 *   table.match('GET', '/api/v1/ml/health')     // -> the "unmatched" route: legacy, no candidate
 *
 * Precedence, whatever the file order: exact paths, then templates (more literal segments first),
 * then prefixes (longest first); file order breaks ties.
 */
import { deepFreeze } from '@smp/platform';
import { compilePathTemplate, literalSegments, matchesPrefix, type PathMatcher } from './path-template.js';
import { describeIssues, routeFileSchema, type RouteSpec } from './route-file.js';
import { compileCompareSettings, compileRollout, type CompareSettings, type JudgeOverrides, type ShadowSettings } from './route-settings.js';
import type { RolloutSpec } from '@smp/flags/rollout-spec';

/** A named upstream and its base URL (`legacy` -> `http://127.0.0.1:8010`). */
export interface UpstreamRef {
  readonly name: string;
  readonly url: string;
}

export interface RouteTimeouts {
  readonly headersMs: number;
  readonly bodyMs: number;
  readonly candidateHeadersMs: number;
  readonly candidateBodyMs: number;
}

export interface PathRewrite {
  readonly prefix: string;
  readonly to: string;
  readonly on: 'candidate' | 'legacy' | 'both';
}

/** One compiled route; `id` is `unmatched` for the catch-all that sends everything else to legacy. */
export interface Route {
  readonly id: string;
  readonly description?: string;
  readonly methods: readonly string[] | null;
  readonly path?: string;
  readonly prefix?: string;
  readonly legacy: UpstreamRef;
  readonly candidate: UpstreamRef | null;
  readonly idempotent: boolean;
  readonly timeouts: RouteTimeouts;
  readonly rewrite: PathRewrite | null;
  /** Unleash flag names: `migrate.<id>.live` and `migrate.<id>.shadow`. */
  readonly flags: { readonly live: string; readonly shadow: string };
  /** Shadowing, comparison and judging settings, validated and compiled with the table (route-settings.ts). */
  readonly shadow: ShadowSettings;
  readonly compare: CompareSettings;
  readonly judge: JudgeOverrides;
  /** The rollout plan the route table declares for this route (null: none). */
  readonly rollout: RolloutSpec | null;
}

/** A refused route file: `problems` has one line per mistake. */
export class RouteTableError extends Error {
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(`${message}: ${problems.join('; ')}`);
    this.name = 'RouteTableError';
  }
}

export const UNMATCHED = 'unmatched';

/** The unmatched route is never mirrored, and compares nothing. */
const UNMATCHED_SHADOW: ShadowSettings = Object.freeze({ enabled: false, allowWithIdempotencyKey: false, calibrationRate: 0 });
const NO_COMPARE_RULES: CompareSettings = compileCompareSettings(UNMATCHED, {});

interface Entry {
  readonly route: Route;
  readonly match: PathMatcher | null;
}

export function liveFlag(routeId: string): string {
  return `migrate.${routeId}.live`;
}

export function shadowFlag(routeId: string): string {
  return `migrate.${routeId}.shadow`;
}

/** The compiled, frozen table; `match` always answers (the unmatched route at worst). */
export class RouteTable {
  private readonly exact: Map<string, Route[]>;
  private readonly templates: Entry[];
  private readonly prefixes: Route[];
  private readonly ids: Map<string, Route>;

  constructor(
    readonly routes: readonly Route[],
    readonly unmatched: Route,
  ) {
    this.exact = new Map();
    const templates: Array<Entry & { order: number; literal: number }> = [];
    const prefixes: Array<{ route: Route; order: number }> = [];
    routes.forEach((route, order) => {
      if (route.prefix !== undefined) prefixes.push({ route, order });
      else if (route.path!.includes('/:')) {
        templates.push({ route, match: compilePathTemplate(route.path!), order, literal: literalSegments(route.path!) });
      } else {
        const list = this.exact.get(route.path!) ?? [];
        list.push(route);
        this.exact.set(route.path!, list);
      }
    });
    this.templates = templates.sort((a, b) => b.literal - a.literal || a.order - b.order).map(({ route, match }) => ({ route, match }));
    this.prefixes = prefixes.sort((a, b) => b.route.prefix!.length - a.route.prefix!.length || a.order - b.order).map((p) => p.route);
    this.ids = new Map(routes.map((r) => [r.id, r]));
    Object.freeze(this);
  }

  /** The route for a request; `path` is the URL path without the query string. */
  match(method: string, path: string): Route {
    const exact = this.exact.get(path);
    if (exact !== undefined) {
      for (const route of exact) if (allows(route, method)) return route;
    }
    for (const entry of this.templates) {
      if (allows(entry.route, method) && entry.match!(path) !== null) return entry.route;
    }
    for (const route of this.prefixes) {
      if (allows(route, method) && matchesPrefix(path, route.prefix!)) return route;
    }
    return this.unmatched;
  }

  byId(id: string): Route | undefined {
    return id === UNMATCHED ? this.unmatched : this.ids.get(id);
  }
}

function allows(route: Route, method: string): boolean {
  return route.methods === null || route.methods.includes(method);
}

/**
 * Validate and compile a parsed route file against the known upstreams (name -> base URL).
 * Throws RouteTableError listing every problem; never returns a partial table.
 */
export function compileRouteTable(file: unknown, upstreams: Readonly<Record<string, string>>): RouteTable {
  const parsed = routeFileSchema.safeParse(file);
  if (!parsed.success) throw new RouteTableError('Invalid route table', describeIssues(parsed.error));
  const { defaults, routes: specs } = parsed.data;
  const problems: string[] = [];
  const upstream = (name: string, where: string): UpstreamRef => {
    const url = upstreams[name];
    if (url === undefined) problems.push(`${where}: unknown upstream ${JSON.stringify(name)} (known: ${Object.keys(upstreams).join(', ')})`);
    return { name, url: url ?? '' };
  };
  const seen = new Map<string, number>();
  const matchKeys = new Map<string, string>();
  const routes = specs.map((spec: RouteSpec, i): Route => {
    const where = `routes[${i}]`;
    if (spec.id === UNMATCHED) problems.push(`${where}.id: "${UNMATCHED}" is reserved for requests no route matches`);
    if (seen.has(spec.id)) problems.push(`${where}.id: duplicate id ${JSON.stringify(spec.id)} (also routes[${seen.get(spec.id)}])`);
    seen.set(spec.id, i);
    const methods = normaliseMethods(spec.match.method);
    if (spec.match.path !== undefined) {
      try {
        compilePathTemplate(spec.match.path);
      } catch (err) {
        problems.push(`${where}.match.path: ${(err as Error).message}`);
      }
    }
    for (const m of methods ?? ['*']) {
      const key = `${m} ${spec.match.path ?? `${spec.match.prefix}*`}`;
      const other = matchKeys.get(key);
      if (other !== undefined) problems.push(`${where}.match: ${key} is already matched by route ${JSON.stringify(other)}`);
      else matchKeys.set(key, spec.id);
    }
    const legacy = upstream(spec.legacy, `${where}.legacy`);
    const candidate = spec.candidate === undefined ? null : upstream(spec.candidate, `${where}.candidate`);
    if (candidate !== null && candidate.name === legacy.name) problems.push(`${where}.candidate: same upstream as legacy (${legacy.name})`);
    if (spec.rollout !== undefined && spec.candidate === undefined) problems.push(`${where}.rollout: the route has no candidate to roll out`);
    if (spec.rewrite && spec.rewrite.on !== 'legacy' && candidate === null) {
      problems.push(`${where}.rewrite: applies to the candidate, but the route has none (use "on": "legacy")`);
    }
    const timeouts = { ...defaults.timeouts, ...(spec.timeouts ?? {}) };
    let compare = NO_COMPARE_RULES;
    try {
      compare = compileCompareSettings(spec.id, spec.compare);
    } catch (err) {
      problems.push(`${where}.compare: ${(err as Error).message}`);
    }
    return {
      id: spec.id,
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      methods,
      ...(spec.match.path !== undefined ? { path: spec.match.path } : { prefix: spec.match.prefix! }),
      legacy,
      candidate,
      idempotent: spec.idempotent,
      timeouts: {
        headersMs: timeouts.headersMs,
        bodyMs: timeouts.bodyMs,
        candidateHeadersMs: timeouts.candidateHeadersMs ?? timeouts.headersMs,
        candidateBodyMs: timeouts.candidateBodyMs ?? timeouts.candidateHeadersMs ?? timeouts.bodyMs,
      },
      rewrite: spec.rewrite ?? null,
      flags: { live: liveFlag(spec.id), shadow: shadowFlag(spec.id) },
      shadow: spec.shadow,
      compare,
      judge: spec.judge,
      rollout: compileRollout(spec.rollout),
    };
  });
  if (upstreams.legacy === undefined) problems.push('upstreams: "legacy" must be defined: unmatched requests go there');
  if (problems.length > 0) throw new RouteTableError('Invalid route table', problems);
  const unmatched: Route = {
    id: UNMATCHED,
    methods: null,
    prefix: '/',
    legacy: { name: 'legacy', url: upstreams.legacy },
    candidate: null,
    idempotent: false,
    timeouts: {
      headersMs: defaults.timeouts.headersMs,
      bodyMs: defaults.timeouts.bodyMs,
      candidateHeadersMs: defaults.timeouts.candidateHeadersMs ?? defaults.timeouts.headersMs,
      candidateBodyMs: defaults.timeouts.candidateBodyMs ?? defaults.timeouts.candidateHeadersMs ?? defaults.timeouts.bodyMs,
    },
    rewrite: null,
    flags: { live: liveFlag(UNMATCHED), shadow: shadowFlag(UNMATCHED) },
    shadow: UNMATCHED_SHADOW,
    compare: NO_COMPARE_RULES,
    judge: {},
    rollout: null,
  };
  return new RouteTable(deepFreeze(routes), deepFreeze(unmatched));
}

function normaliseMethods(method: string | string[] | undefined): string[] | null {
  if (method === undefined) return null;
  const list = Array.isArray(method) ? method : [method];
  return list.includes('*') ? null : [...new Set(list)];
}

/** The path and query a side receives, after the route's rewrite when it applies to that side. */
export function rewritePath(route: Route, side: 'legacy' | 'candidate', url: string): string {
  const rw = route.rewrite;
  if (rw === null || (rw.on !== 'both' && rw.on !== side) || !url.startsWith(rw.prefix)) return url;
  const next = url.charCodeAt(rw.prefix.length); // NaN at the end of the url
  const boundary = Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */ || rw.prefix.endsWith('/');
  return boundary ? rw.to + url.slice(rw.prefix.length) : url;
}
