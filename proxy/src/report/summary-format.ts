/**
 * The readable rendering of a comparison summary (what `npm run report` prints), and the parsing
 * of `--since` / `?since=` values (`90s`, `15m`, `1h`, `2d`, or an ISO time):
 *
 *   ml-predict   5,000 pairs   match 99.82%   (9 mismatches, 0 not compared)
 *     errors     legacy 0   candidate 0
 *     latency    legacy p50 4.1 ms  p95 9.8 ms  p99 14 ms | candidate p50 3.2 ms  p95 7.4 ms  p99 11 ms
 *     models     legacy 2 vs candidate 2: labels agree 99.82%, |Δ confidence| mean 0.0004 max 0.31
 *     top differing paths
 *       9  prediction[*]   e.g. prediction[0]: 1 -> 0 (request 4f0c…)
 */
import type { ComparisonSummary, LatencyQuantiles, RouteSummary } from './comparison-query.js';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1h` -> now − 1 hour; an ISO time -> that time. Throws a RangeError with a readable message. */
export function parseSince(value: string, now: number): Date {
  const v = value.trim();
  const m = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(v);
  if (m) return new Date(now - Number(m[1]) * UNITS[m[2]]);
  const t = Date.parse(v);
  if (v !== '' && Number.isFinite(t)) return new Date(t);
  throw new RangeError(`since: expected a duration like 90s, 15m, 1h, 2d or an ISO time, got ${JSON.stringify(value)}`);
}

const int = (n: number) => n.toLocaleString('en-US');
const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(2)}%`);
const ms = (x: number | null) => (x === null ? '-' : `${x} ms`);
const q = (l: LatencyQuantiles) => `p50 ${ms(l.p50)}  p95 ${ms(l.p95)}  p99 ${ms(l.p99)}`;

function describeExample(example: unknown): string {
  if (!example || typeof example !== 'object') return '';
  const e = example as { path?: string; kind?: string; control?: unknown; candidate?: unknown; request_id?: string };
  const side = (v: unknown) => (v === undefined ? '∅' : JSON.stringify(v));
  const what = e.kind === 'missing' ? 'missing in candidate' : e.kind === 'extra' ? 'only in candidate' : `${side(e.control)} -> ${side(e.candidate)}`;
  return `e.g. ${e.path}: ${what}${e.request_id ? ` (request ${e.request_id})` : ''}`;
}

function route(r: RouteSummary): string[] {
  const lines = [
    `${r.route}   ${int(r.pairs)} pairs   match ${pct(r.matchRate)}   (${int(r.mismatches)} mismatches, ${int(r.notCompared)} not compared)`,
    `  errors     legacy ${int(r.legacyErrors)}   candidate ${int(r.candidateErrors)}`,
    `  latency    legacy ${q(r.latency.legacy)} | candidate ${q(r.latency.candidate)}`,
  ];
  for (const m of r.models) {
    const parts = [];
    if (m.labelAgreement !== null) parts.push(`labels agree ${pct(m.labelAgreement)}`);
    if (m.meanConfidenceDelta !== null) parts.push(`|Δ confidence| mean ${m.meanConfidenceDelta.toPrecision(2)} max ${(m.maxConfidenceDelta ?? 0).toPrecision(2)}`);
    if (m.flaggedAgreement !== null) parts.push(`flagged sets agree ${pct(m.flaggedAgreement)}`);
    if (m.driftAgreement !== null) parts.push(`drift verdicts agree ${pct(m.driftAgreement)}`);
    lines.push(`  models     ${m.variant !== null ? `variant ${m.variant}: ` : ''}legacy ${m.legacyVersion || '?'} vs candidate ${m.candidateVersion || '?'} (${int(m.pairs)} pairs): ${parts.join(', ') || 'no ML reading'}`);
  }
  if (r.topPaths.length) {
    lines.push('  top differing paths');
    const width = Math.max(...r.topPaths.map((p) => int(p.count).length));
    for (const p of r.topPaths) lines.push(`    ${int(p.count).padStart(width)}  ${p.path}   ${describeExample(p.example)}`);
  }
  for (const ev of r.rollbacks.slice(0, 5)) lines.push(`  ${ev.kind.padEnd(9)}  ${ev.at} by ${ev.decidedBy}: ${ev.reason}`);
  return lines;
}

/** Plain text, one block per route. Pure. */
export function formatSummary(summary: ComparisonSummary): string {
  const head = `Comparisons since ${summary.since} (generated ${summary.generatedAt})`;
  if (summary.routes.length === 0) return `${head}\n  no comparisons recorded in this period\n`;
  return `${head}\n\n${summary.routes.map((r) => route(r).join('\n')).join('\n\n')}\n`;
}
