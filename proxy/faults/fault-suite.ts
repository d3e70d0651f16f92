/**
 * `npm run test:faults`: the fault suite. Real processes on 127.0.0.1 (proxies, fault upstreams,
 * our own Redis and PostgreSQL, a real Unleash server), one table at the end:
 *
 *   scenario | client requests | failures (idempotent) | non-idem failures | lost | duplicated |
 *   recovery | proxy RSS before -> after | note
 *
 * `--quick` (what `npm test` runs, via proxy/test/faults.test.ts) runs the short half: scenario 1
 * at 300 req/s for 3 s per kind, SIGTERM under load, and bad input. Without it: every scenario at
 * ≥ 500 req/s for ≥ 20 s, 100,000 requests with flags flipping, and the 5-minute soak
 * (`--soak-minutes=N` changes it); `--only=1,7` runs those scenarios, `--faults=stall-body` only
 * that candidate fault in scenario 1. Exit code 1 when any scenario
 * broke a promise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { candidateFaults, soak } from './scenario-candidate.js';
import { badInput } from './scenario-bad-input.js';
import { postgresDown, redisDown, replicas, sigterm } from './scenario-dependencies.js';
import { flagFlips, unleashOutage } from './scenario-flags.js';
import { mib, type Row, type SuiteOptions } from './fault-stage.js';

export interface SuiteResult {
  rows: Row[];
  table: string;
}

export function formatTable(rows: readonly Row[]): string {
  const head = ['scenario', 'client requests', 'failures', 'non-idem failures', 'lost', 'duplicated', 'recovery', 'proxy RSS before -> after', 'note'];
  const lines = rows.map((r) => [
    r.problems.length > 0 ? `${r.scenario} **FAIL**` : r.scenario,
    String(r.requests),
    String(r.failures),
    String(r.nonIdempotentFailures),
    String(r.lost),
    String(r.duplicated),
    r.recovery,
    `${mib(r.rssBefore)} -> ${mib(r.rssAfter)}`,
    [r.note, ...r.problems].filter(Boolean).join('; '),
  ]);
  return [head, head.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Which scenarios: all, or those whose number is in `only` (`--only=1,7`). */
export interface SuiteSelection {
  soakMinutes?: number;
  only?: readonly string[];
  /** Scenario 1's candidate faults to run (`--faults=stall-body`); all when absent. */
  faults?: readonly string[];
}

export async function runFaultSuite(quick: boolean, log: (line: string) => void = (l) => process.stdout.write(`${l}\n`), selection: SuiteSelection = {}): Promise<SuiteResult> {
  const soakMinutes = selection.soakMinutes ?? 5;
  const dir = mkdtempSync(path.join(tmpdir(), 'fault-suite-'));
  const options: SuiteOptions = { quick, dir, log, ...(selection.faults ? { faults: selection.faults } : {}) };
  const rows: Row[] = [];
  const step = async (name: string, fn: () => Promise<Row | Row[]>) => {
    if (selection.only !== undefined && !selection.only.includes(name.split(' ')[0])) return;
    const started = Date.now();
    log(`scenario ${name}…`);
    try {
      const out = await fn();
      rows.push(...(Array.isArray(out) ? out : [out]));
    } catch (err) {
      rows.push({ scenario: name, requests: 0, failures: 0, nonIdempotentFailures: 0, lost: 0, duplicated: 0, mirrored: 0, reasons: [], recovery: '-', rssBefore: 0, rssAfter: 0, note: '', problems: [`did not run: ${(err as Error).message}`] });
    }
    log(`scenario ${name} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  };
  try {
    await step('1 candidate faults', () => candidateFaults(options));
    await step('6 SIGTERM / replicas', async () => (quick ? [await sigterm(options)] : [await sigterm(options), await replicas(options)]));
    await step('8 bad input', () => badInput(options));
    if (!quick) {
      await step('2 flag flips', () => flagFlips(options));
      await step('3 Unleash outage', () => unleashOutage(options));
      await step('4 Redis killed', () => redisDown(options));
      await step('5 PostgreSQL stopped', () => postgresDown(options));
      await step('7 soak', () => soak(options, soakMinutes));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, table: formatTable(rows) };
}

// Run as a program (not when imported by the mocha test).
if (process.argv[1] !== undefined && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  // exit runs fault-processes.ts's cleanup: every process the suite started goes with it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const quick = process.argv.includes('--quick');
  const minutes = Number(process.argv.find((a) => a.startsWith('--soak-minutes='))?.slice(15) ?? 5);
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
  const faults = process.argv.find((a) => a.startsWith('--faults='))?.slice(9).split(',');
  const started = Date.now();
  const result = await runFaultSuite(quick, undefined, { soakMinutes: minutes, ...(only ? { only } : {}), ...(faults ? { faults } : {}) });
  process.stdout.write(`\n${result.table}\n\nfault suite (${quick ? 'quick' : 'full'}) took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  process.exit(result.rows.some((r) => r.problems.length > 0) ? 1 : 0);
}
