/**
 * What every scenario shares: the route table and flags it writes, the table row it returns, and
 * one "stage": a load run against a proxy while the scenario does its damage, then the tally.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { features } from '../test/support/flag-features.js';
import { runLoad, type LoadPlan, type Outcome } from './fault-load.js';
import type { FaultUpstream, ProxyProcess } from './fault-processes.js';
import { tally, type Tally } from './fault-tally.js';

export interface SuiteOptions {
  /** The quick half (inside `npm test`): shorter runs, fewer scenarios. */
  quick: boolean;
  dir: string;
  log: (line: string) => void;
  /** Scenario 1: only these candidate faults (`--faults=stall-body,hang`); all when absent. */
  faults?: readonly string[];
}

export interface Row extends Tally {
  scenario: string;
  /** How long until the proxy was back to normal after the fault ended ('-' when nothing to recover). */
  recovery: string;
  rssBefore: number;
  rssAfter: number;
  note: string;
  /** Broken promises; empty when the scenario passed. */
  problems: string[];
}

/** Two routes over the same upstreams: one idempotent (fallback allowed), one not. Candidate timeouts 1 s. */
export function writeRoutes(dir: string): string {
  const file = path.join(dir, 'routes.json');
  const timeouts = { candidateHeadersMs: 1000, candidateBodyMs: 1000, headersMs: 10_000, bodyMs: 10_000 };
  writeFileSync(
    file,
    JSON.stringify({
      routes: [
        { id: 'ml-predict', match: { method: 'POST', path: '/api/v1/ml/predict' }, legacy: 'legacy', candidate: 'prediction', idempotent: true, timeouts },
        { id: 'ml-anomaly', match: { method: 'POST', path: '/api/v1/ml/detect_anomaly' }, legacy: 'legacy', candidate: 'anomaly', idempotent: false, timeouts },
      ],
    }),
  );
  return file;
}

/** A client-features file: both routes at the given live and shadow percentages. */
export function writeFlags(dir: string, live: number, shadow: number): string {
  const file = path.join(dir, `flags-${live}-${shadow}.json`);
  const flags: Record<string, number> = {};
  for (const route of ['ml-predict', 'ml-anomaly']) {
    flags[`migrate.${route}.live`] = live;
    flags[`migrate.${route}.shadow`] = shadow;
  }
  writeFileSync(file, JSON.stringify(features(flags)));
  return file;
}

/** The environment of a proxy in front of `legacy` and `candidate`. */
export function proxyEnv(dir: string, legacy: FaultUpstream, candidate: FaultUpstream, extra: Record<string, string> = {}): Record<string, string> {
  return {
    LEGACY_URL: legacy.url,
    PREDICTION_URL: candidate.url,
    ANOMALY_URL: candidate.url,
    PROXY_ROUTES: writeRoutes(dir),
    // The fallback path is what is under test: a breaker that opens would hide it.
    BREAKER_FAILURE_THRESHOLD: '1000000',
    SHADOW_TIMEOUT_MS: '1500',
    ...extra,
  };
}

/** Wait for mirrors still in flight, then read and clear what the upstreams saw. */
export async function collect(outcomes: Outcome[], upstreams: FaultUpstream[], settleMs = 2_000): Promise<Tally> {
  await new Promise((r) => setTimeout(r, settleMs));
  return tally(outcomes, await Promise.all(upstreams.map((u) => u.seen())));
}

/** Run the load and, concurrently, `during` (the fault); returns the outcomes. */
export async function underLoad(plan: LoadPlan, during: () => Promise<void> = async () => undefined): Promise<Outcome[]> {
  const [outcomes] = await Promise.all([runLoad(plan), during()]);
  return outcomes;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function mib(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}

/** The standard checks: no idempotent failure, nothing lost, nothing duplicated. */
export function promises(t: Tally): string[] {
  const out: string[] = [];
  if (t.failures > 0) out.push(`${t.failures} idempotent client failures (${t.reasons.join('; ')})`);
  if (t.lost > 0) out.push(`${t.lost} requests lost`);
  if (t.duplicated > 0) out.push(`${t.duplicated} requests duplicated at upstreams`);
  return out;
}

/** A row from a tally and the proxy's memory before/after. */
export function row(scenario: string, t: Tally, proxy: { before: number; after: number }, extra: Partial<Row> = {}): Row {
  return { scenario, ...t, recovery: '-', rssBefore: proxy.before, rssAfter: proxy.after, note: '', problems: promises(t), ...extra };
}

/** Sum of a metric's samples (all label sets) from the proxy's /metrics. */
export async function metricSum(proxy: ProxyProcess, name: string, labelFilter = ''): Promise<number> {
  const text = await (await proxy.admin('/metrics')).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    if (labelFilter && !line.includes(labelFilter)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
