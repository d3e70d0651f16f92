/**
 * Noise calibration (Diffy's primary/secondary idea): a sample of requests is sent to the legacy
 * side twice. Whatever differs between two legacy answers to the same request is not a regression,
 * it is noise — a fresh id, a clock, float jitter — and should be ignored or tolerated. Unlike
 * Diffy, which subtracts noise counts, we *learn rules*: each noisy path becomes a suggestion,
 * `ignore` for ids and strings, a numeric `tolerance` sized from the |Δ| actually observed.
 *
 *   calibrator.observe('ml-predict', diffJson(primary, secondary, RAW).diffs)
 *   calibrator.report('ml-predict', rules)
 *   // { samples: 40, paths: [{ path: 'request_id', rate: 1, suggestion: { ignore: 'request_id' }, covered: true },
 *   //                        { path: 'confidence', rate: 0.1, observedDelta: { min: 1e-9, max: 3e-9 },
 *   //                          suggestion: { tolerance: { path: 'confidence', absolute: 3e-9 } }, covered: false }] }
 *
 * Memory is bounded: at most `maxPaths` distinct (generalised) paths per route.
 */
import type { Diff } from './json-diff.js';
import { parsePathPattern, type PathRules, type PathSegment } from './path-rules.js';

interface PathNoise {
  count: number;
  numeric: number;
  other: number;
  minDelta: number;
  maxDelta: number;
  example: Diff;
}

interface RouteNoise {
  samples: number;
  paths: Map<string, PathNoise>;
  overflow: number;
}

/** A learned rule for one noisy path. */
export type NoiseSuggestion = { readonly ignore: string } | { readonly tolerance: { readonly path: string; readonly absolute: number } };

/** What was learned about one path that differs between two legacy answers. */
export interface NoisyPath {
  readonly path: string;
  /** Share of calibration samples in which this path differed. */
  readonly rate: number;
  readonly count: number;
  /** For numeric differences: the observed |Δ| range. */
  readonly observedDelta: { readonly min: number; readonly max: number } | null;
  readonly suggestion: NoiseSuggestion;
  /** The route's current rules already ignore or tolerate this much. */
  readonly covered: boolean;
  readonly example: Diff;
}

/** The calibration report of one route. */
export interface NoiseReport {
  readonly routeId: string;
  readonly samples: number;
  readonly paths: readonly NoisyPath[];
  /** Distinct paths not tracked because `maxPaths` was reached. */
  readonly untrackedPaths: number;
}

/** Round |Δ| up to two significant digits so the suggestion is a readable number that covers it. */
export function roundUp(x: number): number {
  if (x <= 0 || !Number.isFinite(x)) return 0;
  const e = Math.floor(Math.log10(x)) - 1;
  const scale = 10 ** e;
  return Number((Math.ceil(x / scale - 1e-9) * scale).toPrecision(2));
}

function segmentsOf(generalized: string): readonly PathSegment[] | null {
  try {
    return parsePathPattern(generalized).map((m) => (m.t === 'key' ? m.key : m.t === 'index' ? m.index : m.t === 'anyIndex' ? 0 : '*'));
  } catch {
    return null;
  }
}

/** Learns noise per route from pairs of legacy answers. In memory, bounded, no clock. */
export class NoiseCalibrator {
  private readonly routes = new Map<string, RouteNoise>();

  constructor(private readonly maxPaths = 200) {}

  /** Record one calibration sample: the diffs between two legacy answers (compared without rules). */
  observe(routeId: string, diffs: readonly Diff[]): void {
    let route = this.routes.get(routeId);
    if (!route) {
      route = { samples: 0, paths: new Map(), overflow: 0 };
      this.routes.set(routeId, route);
    }
    route.samples++;
    const seen = new Set<string>();
    for (const d of diffs) {
      if (seen.has(d.generalized)) continue;
      seen.add(d.generalized);
      let p = route.paths.get(d.generalized);
      if (!p) {
        if (route.paths.size >= this.maxPaths) {
          route.overflow++;
          continue;
        }
        p = { count: 0, numeric: 0, other: 0, minDelta: Infinity, maxDelta: 0, example: d };
        route.paths.set(d.generalized, p);
      }
      p.count++;
      if (d.kind === 'value' && typeof d.control === 'number' && typeof d.candidate === 'number') {
        const delta = Math.abs(d.control - d.candidate);
        p.numeric++;
        p.minDelta = Math.min(p.minDelta, delta);
        p.maxDelta = Math.max(p.maxDelta, delta);
      } else p.other++;
    }
  }

  /** Routes with at least one sample. */
  routeIds(): string[] {
    return [...this.routes.keys()];
  }

  /** What was learned for `routeId`, most frequent paths first; `rules` marks what is already covered. */
  report(routeId: string, rules?: PathRules): NoiseReport {
    const route = this.routes.get(routeId);
    if (!route) return Object.freeze({ routeId, samples: 0, paths: Object.freeze([]), untrackedPaths: 0 });
    const paths: NoisyPath[] = [];
    for (const [path, p] of route.paths) {
      const numericOnly = p.other === 0 && p.numeric > 0;
      const absolute = roundUp(p.maxDelta);
      const suggestion: NoiseSuggestion = numericOnly ? { tolerance: { path, absolute } } : { ignore: path };
      let covered = false;
      const segments = rules ? segmentsOf(path) : null;
      if (rules && segments) {
        const state = rules.at(segments);
        const t = state.tolerance;
        const magnitude = Math.max(Math.abs(Number(p.example.control) || 0), Math.abs(Number(p.example.candidate) || 0));
        covered = state.ignore || (numericOnly && t !== null && (t.absolute >= p.maxDelta || t.relative * magnitude >= p.maxDelta));
      }
      paths.push(
        Object.freeze({
          path,
          rate: p.count / route.samples,
          count: p.count,
          observedDelta: p.numeric > 0 ? Object.freeze({ min: p.minDelta, max: p.maxDelta }) : null,
          suggestion: Object.freeze(suggestion),
          covered,
          example: p.example,
        }),
      );
    }
    paths.sort((a, b) => b.count - a.count || a.path.localeCompare(b.path));
    return Object.freeze({ routeId, samples: route.samples, paths: Object.freeze(paths), untrackedPaths: route.overflow });
  }
}
