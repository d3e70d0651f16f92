/**
 * Structural diff of two parsed JSON documents, path by path, under the route's PathRules:
 *
 *   control   {"prediction":[1],"confidence":0.93,"request_id":"a"}
 *   candidate {"prediction":[0],"confidence":0.9300001,"request_id":"b","extra":true}
 *   rules     ignore request_id; confidence ± 1e-6
 *   diffs     prediction[0] value 1 -> 0; extra extra
 *
 * Kinds: `missing` (only the control has it), `extra` (only the candidate), `type` (different JSON
 * types), `value` (scalars differ beyond tolerance), `length` (arrays of different lengths; the
 * common prefix is still compared). Object key order never matters; array order does unless a rule
 * says `unordered`.
 *
 * The walk is bounded: deeper than `maxDepth` or more than `maxNodes` visited nodes stops it with
 * a "not compared" outcome instead of a stack overflow or a CPU spike on the proxy's event loop.
 */
import { formatPath, generalizePath, type PathRules, type PathSegment, type RuleState, type Tolerance } from './path-rules.js';

export type DiffKind = 'missing' | 'extra' | 'type' | 'value' | 'length';

/** A short, bounded rendering of one side's value at a differing path. */
export type DiffValue = string | number | boolean | null;

/** One difference: where, what kind, and a bounded rendering of each side. */
export interface Diff {
  readonly path: string;
  /** The path with indices as `[*]`: what reports group by. */
  readonly generalized: string;
  readonly kind: DiffKind;
  readonly control?: DiffValue;
  readonly candidate?: DiffValue;
}

/** Work bounds for one document pair. */
export interface DiffLimits {
  readonly maxDepth: number;
  readonly maxNodes: number;
  /** Diffs kept in the result; the count goes on past it. */
  readonly maxDiffs: number;
}

export const DEFAULT_DIFF_LIMITS: DiffLimits = Object.freeze({ maxDepth: 64, maxNodes: 100_000, maxDiffs: 50 });

/** Either the diffs, or why the documents were not compared. */
export type DiffOutcome =
  | { readonly compared: true; readonly diffs: readonly Diff[]; readonly diffCount: number; readonly nodes: number }
  | { readonly compared: false; readonly reason: 'too-deep' | 'too-much-work'; readonly nodes: number };

type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object' | 'undefined';

function typeOf(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  if (t === 'boolean' || t === 'number' || t === 'string' || t === 'object') return t;
  return 'undefined';
}

const MAX_STRING_IN_DIFF = 120;

function render(v: unknown): DiffValue {
  switch (typeOf(v)) {
    case 'null':
      return null;
    case 'boolean':
    case 'number':
      return v as number | boolean;
    case 'string': {
      const s = v as string;
      return s.length > MAX_STRING_IN_DIFF ? `${s.slice(0, MAX_STRING_IN_DIFF)}…` : s;
    }
    case 'array':
      return `[array(${(v as unknown[]).length})]`;
    case 'object':
      return '{object}';
    default:
      return null;
  }
}

/** `true` when two numbers are equal or within the tolerance (absolute OR relative). */
export function withinTolerance(a: number, b: number, tolerance: Tolerance | null): boolean {
  if (a === b) return true;
  if (!tolerance) return false;
  const delta = Math.abs(a - b);
  return delta <= tolerance.absolute || delta <= tolerance.relative * Math.max(Math.abs(a), Math.abs(b));
}

class LimitExceeded extends Error {
  constructor(readonly reason: 'too-deep' | 'too-much-work') {
    super(reason);
  }
}

class Walk {
  nodes = 0;
  diffCount = 0;
  readonly diffs: Diff[] = [];
  private readonly path: PathSegment[] = [];

  constructor(
    private readonly rules: PathRules,
    private readonly limits: DiffLimits,
  ) {}

  private charge(n = 1): void {
    this.nodes += n;
    if (this.nodes > this.limits.maxNodes) throw new LimitExceeded('too-much-work');
  }

  private report(kind: DiffKind, control: unknown, candidate: unknown): void {
    this.diffCount++;
    if (this.diffs.length >= this.limits.maxDiffs) return;
    const diff: { path: string; generalized: string; kind: DiffKind; control?: DiffValue; candidate?: DiffValue } = {
      path: formatPath(this.path),
      generalized: generalizePath(this.path),
      kind,
    };
    if (control !== undefined) diff.control = kind === 'length' ? (control as DiffValue) : render(control);
    if (candidate !== undefined) diff.candidate = kind === 'length' ? (candidate as DiffValue) : render(candidate);
    this.diffs.push(Object.freeze(diff));
  }

  compare(a: unknown, b: unknown, state: RuleState, depth: number): void {
    this.charge();
    if (state.ignore) return;
    if (depth > this.limits.maxDepth) throw new LimitExceeded('too-deep');
    const ta = typeOf(a);
    const tb = typeOf(b);
    if (ta !== tb) {
      this.report('type', a, b);
      return;
    }
    switch (ta) {
      case 'number':
        if (!withinTolerance(a as number, b as number, state.tolerance)) this.report('value', a, b);
        return;
      case 'string':
      case 'boolean':
        if (a !== b) this.report('value', a, b);
        return;
      case 'object':
        this.compareObjects(a as Record<string, unknown>, b as Record<string, unknown>, state, depth);
        return;
      case 'array':
        if (state.unordered) this.compareUnordered(a as unknown[], b as unknown[], state, depth);
        else this.compareArrays(a as unknown[], b as unknown[], state, depth);
        return;
      default:
        return;
    }
  }

  private child(state: RuleState, seg: PathSegment, fn: (s: RuleState) => void): void {
    this.path.push(seg);
    try {
      fn(this.rules.step(state, seg));
    } finally {
      this.path.pop();
    }
  }

  private compareObjects(a: Record<string, unknown>, b: Record<string, unknown>, state: RuleState, depth: number): void {
    for (const key of Object.keys(a)) {
      this.child(state, key, (s) => {
        if (s.ignore) return;
        if (!Object.prototype.hasOwnProperty.call(b, key)) {
          this.charge();
          this.report('missing', a[key], undefined);
        } else this.compare(a[key], b[key], s, depth + 1);
      });
    }
    for (const key of Object.keys(b)) {
      if (Object.prototype.hasOwnProperty.call(a, key)) continue;
      this.child(state, key, (s) => {
        this.charge();
        if (!s.ignore) this.report('extra', undefined, b[key]);
      });
    }
  }

  private compareArrays(a: unknown[], b: unknown[], state: RuleState, depth: number): void {
    if (a.length !== b.length) this.report('length', a.length, b.length);
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) this.child(state, i, (s) => this.compare(a[i], b[i], s, depth + 1));
  }

  private compareUnordered(a: unknown[], b: unknown[], state: RuleState, depth: number): void {
    const key = state.unordered!.key;
    if (key === null) {
      // Pair by content: sort both sides by a canonical rendering (ignored paths left out).
      const ka = a.map((v, i) => ({ v, k: this.canonical(v, this.rules.step(state, i), depth + 1) }));
      const kb = b.map((v, i) => ({ v, k: this.canonical(v, this.rules.step(state, i), depth + 1) }));
      ka.sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
      kb.sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
      this.compareArrays(
        ka.map((x) => x.v),
        kb.map((x) => x.v),
        state,
        depth,
      );
      return;
    }
    const byKey = new Map<string, number[]>();
    for (let j = 0; j < b.length; j++) {
      this.charge();
      const k = keyOf(b[j], key);
      const list = byKey.get(k);
      if (list) list.push(j);
      else byKey.set(k, [j]);
    }
    const used = new Uint8Array(b.length);
    for (let i = 0; i < a.length; i++) {
      this.charge();
      const list = byKey.get(keyOf(a[i], key));
      const j = list && list.length > 0 ? list.shift()! : -1;
      if (j < 0) this.child(state, i, (s) => !s.ignore && this.report('missing', a[i], undefined));
      else {
        used[j] = 1;
        this.child(state, i, (s) => this.compare(a[i], b[j], s, depth + 1));
      }
    }
    for (let j = 0; j < b.length; j++) {
      if (!used[j]) this.child(state, j, (s) => !s.ignore && this.report('extra', undefined, b[j]));
    }
  }

  /** A stable rendering with sorted keys and ignored paths left out; charged to the work budget. */
  private canonical(v: unknown, state: RuleState, depth: number): string {
    this.charge();
    if (state.ignore) return '~';
    if (depth > this.limits.maxDepth) throw new LimitExceeded('too-deep');
    const t = typeOf(v);
    if (t === 'array') {
      const arr = v as unknown[];
      return `[${arr.map((x, i) => this.canonical(x, this.rules.step(state, i), depth + 1)).join(',')}]`;
    }
    if (t === 'object') {
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${this.canonical(obj[k], this.rules.step(state, k), depth + 1)}`).join(',')}}`;
    }
    return JSON.stringify(v) ?? 'null';
  }
}

function keyOf(v: unknown, key: readonly (readonly PathSegment[])[]): string {
  const parts = key.map((segments) => {
    let cur: unknown = v;
    for (const s of segments) {
      if (cur === null || typeof cur !== 'object') return null;
      cur = (cur as Record<string | number, unknown>)[s];
    }
    // Keys are meant to be scalars; anything else is reduced to its type so no deep value is rendered.
    return cur === undefined ? null : typeof cur === 'object' && cur !== null ? render(cur) : cur;
  });
  return JSON.stringify(parts);
}

/** Diff two parsed JSON values under `rules`, within `limits`. Pure; never throws on any input. */
export function diffJson(control: unknown, candidate: unknown, rules: PathRules, limits: DiffLimits = DEFAULT_DIFF_LIMITS): DiffOutcome {
  const walk = new Walk(rules, limits);
  try {
    walk.compare(control, candidate, rules.root, 0);
  } catch (err) {
    if (err instanceof LimitExceeded) return { compared: false, reason: err.reason, nodes: walk.nodes };
    throw err;
  }
  return { compared: true, diffs: Object.freeze(walk.diffs), diffCount: walk.diffCount, nodes: walk.nodes };
}
