/**
 * Path rules: which parts of a JSON answer a comparison ignores, compares with a numeric tolerance,
 * or compares as an unordered collection. A rule names a path pattern:
 *
 *   request_id                        the top-level key `request_id`
 *   anomalies_detected[*].created_at  `created_at` of every element of `anomalies_detected`
 *   shap_values.*                     every key of `shap_values`
 *   **.timestamp                      `timestamp` at any depth
 *   ["odd.key"][0]                    a key with a dot in it, then index 0
 *
 * Patterns are compiled once into small automata and advanced one path segment at a time while the
 * diff walks the documents, so a node costs O(rules still alive), usually zero below the first
 * level. When several rules of one kind match a path the later one wins (route overrides are
 * appended after defaults); `ignore` beats everything.
 */

/** One step of a JSON path: an object key or an array index. */
export type PathSegment = string | number;

type Matcher =
  | { readonly t: 'key'; readonly key: string }
  | { readonly t: 'anyKey' }
  | { readonly t: 'index'; readonly index: number }
  | { readonly t: 'anyIndex' }
  | { readonly t: 'globstar' };

/** A numeric tolerance: values match when within `absolute` OR within `relative` × max(|a|, |b|). */
export interface Tolerance {
  readonly absolute: number;
  readonly relative: number;
}

/** Compare an array as a multiset; elements are paired by `key` sub-paths when given, else by content. */
export interface Unordered {
  readonly key: readonly (readonly PathSegment[])[] | null;
}

/** Rules as written in configuration. */
export interface PathRuleConfig {
  readonly ignore?: readonly string[];
  readonly tolerance?: readonly { readonly path: string; readonly absolute?: number; readonly relative?: number }[];
  readonly unordered?: readonly { readonly path: string; readonly key?: readonly string[] }[];
}

type Action = { readonly kind: 'ignore' } | { readonly kind: 'tolerance'; readonly tolerance: Tolerance } | { readonly kind: 'unordered'; readonly unordered: Unordered };

interface Rule {
  readonly source: string;
  readonly matchers: readonly Matcher[];
  readonly action: Action;
}

/** Where the walk is in every rule: pairs of (rule index, matcher position), plus what applies here. */
export interface RuleState {
  readonly live: readonly number[]; // flattened pairs [rule, pos, rule, pos, …]
  readonly ignore: boolean;
  readonly tolerance: Tolerance | null;
  readonly unordered: Unordered | null;
}

const EMPTY: RuleState = Object.freeze({ live: Object.freeze([]) as readonly number[], ignore: false, tolerance: null, unordered: null });

/** A bad pattern in configuration: the message names the pattern and the position. */
export class PathPatternError extends Error {
  constructor(pattern: string, why: string) {
    super(`bad path pattern ${JSON.stringify(pattern)}: ${why}`);
    this.name = 'PathPatternError';
  }
}

const MAX_PATTERN_SEGMENTS = 64;
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*/;

/** Parse `a.b[*].c` into matchers; throws PathPatternError. */
export function parsePathPattern(source: string): readonly Matcher[] {
  const out: Matcher[] = [];
  let i = 0;
  let expectKey = true; // at start or right after a dot
  if (source.trim() === '') throw new PathPatternError(source, 'empty');
  while (i < source.length) {
    const ch = source[i];
    if (ch === '[') {
      const close = source.startsWith('["', i) ? findStringEnd(source, i + 1) : source.indexOf(']', i);
      if (close < 0) throw new PathPatternError(source, `unclosed [ at ${i}`);
      const inner = source.slice(i + 1, close);
      if (inner === '*') out.push({ t: 'anyIndex' });
      else if (/^\d+$/.test(inner)) out.push({ t: 'index', index: Number(inner) });
      else if (inner.startsWith('"')) {
        try {
          out.push({ t: 'key', key: JSON.parse(inner) as string });
        } catch {
          throw new PathPatternError(source, `bad quoted key at ${i}`);
        }
      } else throw new PathPatternError(source, `expected [*], [n] or ["key"] at ${i}`);
      i = close + 1;
      expectKey = false;
      continue;
    }
    if (ch === '.') {
      if (expectKey) throw new PathPatternError(source, `unexpected . at ${i}`);
      i++;
      expectKey = true;
      if (i >= source.length) throw new PathPatternError(source, 'ends with .');
      continue;
    }
    if (!expectKey) throw new PathPatternError(source, `expected . or [ at ${i}`);
    if (source.startsWith('**', i)) {
      out.push({ t: 'globstar' });
      i += 2;
    } else if (ch === '*') {
      out.push({ t: 'anyKey' });
      i += 1;
    } else {
      const m = IDENT.exec(source.slice(i));
      if (!m) throw new PathPatternError(source, `unexpected ${JSON.stringify(ch)} at ${i}`);
      out.push({ t: 'key', key: m[0] });
      i += m[0].length;
    }
    expectKey = false;
  }
  if (out.length > MAX_PATTERN_SEGMENTS) throw new PathPatternError(source, `more than ${MAX_PATTERN_SEGMENTS} segments`);
  return Object.freeze(out);
}

function findStringEnd(source: string, quote: number): number {
  // quote is the index of the opening '"'; returns the index of the ']' after the closing quote.
  for (let j = quote + 1; j < source.length; j++) {
    if (source[j] === '\\') j++;
    else if (source[j] === '"') return source[j + 1] === ']' ? j + 1 : -1;
  }
  return -1;
}

/** `a.b[3]["x.y"]`: the readable form of a concrete path. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out === '' ? '$' : out;
}

/** The path with every index replaced by `[*]`: bounded cardinality for counting and suggestions. */
export function generalizePath(segments: readonly PathSegment[]): string {
  return formatPath(segments.map((s) => (typeof s === 'number' ? -1 : s))).replace(/\[-1\]/g, '[*]');
}

/** The compiled rule set of one route: immutable, shared by every comparison of that route. */
export class PathRules {
  private readonly rules: readonly Rule[];
  readonly root: RuleState;

  constructor(config: PathRuleConfig = {}) {
    const rules: Rule[] = [];
    for (const p of config.ignore ?? []) rules.push({ source: p, matchers: parsePathPattern(p), action: { kind: 'ignore' } });
    for (const t of config.tolerance ?? []) {
      const absolute = t.absolute ?? 0;
      const relative = t.relative ?? 0;
      if (!(absolute >= 0) || !(relative >= 0) || !Number.isFinite(absolute) || !Number.isFinite(relative)) {
        throw new PathPatternError(t.path, 'tolerance must be finite and ≥ 0');
      }
      rules.push({ source: t.path, matchers: parsePathPattern(t.path), action: { kind: 'tolerance', tolerance: Object.freeze({ absolute, relative }) } });
    }
    for (const u of config.unordered ?? []) {
      const key = u.key && u.key.length > 0 ? Object.freeze(u.key.map((k) => toSegments(k))) : null;
      rules.push({ source: u.path, matchers: parsePathPattern(u.path), action: { kind: 'unordered', unordered: Object.freeze({ key }) } });
    }
    this.rules = Object.freeze(rules);
    const live: number[] = [];
    for (let r = 0; r < rules.length; r++) live.push(r, 0);
    this.root = this.settle(live);
    Object.freeze(this);
  }

  /** Number of rules (for reports). */
  get size(): number {
    return this.rules.length;
  }

  /** Advance every live rule by one path segment. */
  step(state: RuleState, segment: PathSegment): RuleState {
    const live = state.live;
    if (live.length === 0) return EMPTY;
    const next: number[] = [];
    for (let i = 0; i < live.length; i += 2) {
      const r = live[i];
      const pos = live[i + 1];
      const matchers = this.rules[r].matchers;
      if (pos >= matchers.length) continue;
      const m = matchers[pos];
      if (m.t === 'globstar') {
        // `**` may swallow this segment and stay, or (already expanded in settle) be skipped.
        next.push(r, pos);
        continue;
      }
      if (matchOne(m, segment)) next.push(r, pos + 1);
    }
    return next.length === 0 ? EMPTY : this.settle(next);
  }

  /** Expand `**` (which may match zero segments) and work out what applies at this node. */
  private settle(pairs: number[]): RuleState {
    const seen = new Set<number>();
    const live: number[] = [];
    const stack = pairs.slice();
    while (stack.length > 0) {
      const pos = stack.pop()!;
      const r = stack.pop()!;
      const id = r * 4096 + pos;
      if (seen.has(id)) continue;
      seen.add(id);
      live.push(r, pos);
      const m = this.rules[r].matchers[pos];
      if (m && m.t === 'globstar') stack.push(r, pos + 1);
    }
    let ignore = false;
    let tolerance: Tolerance | null = null;
    let unordered: Unordered | null = null;
    let tolRule = -1;
    let unoRule = -1;
    for (let i = 0; i < live.length; i += 2) {
      const r = live[i];
      const rule = this.rules[r];
      if (live[i + 1] !== rule.matchers.length) continue;
      const a = rule.action;
      if (a.kind === 'ignore') ignore = true;
      else if (a.kind === 'tolerance' && r > tolRule) {
        tolerance = a.tolerance;
        tolRule = r;
      } else if (a.kind === 'unordered' && r > unoRule) {
        unordered = a.unordered;
        unoRule = r;
      }
    }
    // Keep only rules that can still match something deeper (or are complete globstars).
    const alive: number[] = [];
    for (let i = 0; i < live.length; i += 2) {
      const r = live[i];
      const pos = live[i + 1];
      const len = this.rules[r].matchers.length;
      if (pos < len) alive.push(r, pos);
    }
    if (alive.length === 0 && !ignore && !tolerance && !unordered) return EMPTY;
    return Object.freeze({ live: Object.freeze(alive), ignore, tolerance, unordered });
  }

  /** Apply the rules to a whole concrete path (tests and noise suggestions use this). */
  at(segments: readonly PathSegment[]): RuleState {
    let s = this.root;
    for (const seg of segments) {
      if (s.ignore) return s;
      s = this.step(s, seg);
    }
    return s;
  }
}

function matchOne(m: Matcher, segment: PathSegment): boolean {
  switch (m.t) {
    case 'key':
      return segment === m.key;
    case 'anyKey':
      return typeof segment === 'string';
    case 'index':
      return segment === m.index;
    case 'anyIndex':
      return typeof segment === 'number';
    default:
      return true;
  }
}

/** Concrete segments of a plain key path like `evidence.sensor_value` (no wildcards allowed). */
export function toSegments(path: string): readonly PathSegment[] {
  return parsePathPattern(path).map((m) => {
    if (m.t === 'key') return m.key;
    if (m.t === 'index') return m.index;
    throw new PathPatternError(path, 'wildcards are not allowed in a key path');
  });
}
