/**
 * Runs the pure sequential judge on seeded pair streams (pair-stream.ts) and measures what the
 * issue asks: false rollbacks of an A/A test, and the delay in pairs after a regression's onset.
 * Used by `npm run bench:judge` (full size) and by the judge's tests (fewer runs, fixed seeds).
 */
import { SequentialJudge } from '../src/analysis/sequential-judge.js';
import { parseJudgeSettings, type JudgeSettingsInput } from '../src/analysis/judge-settings.js';
import { PairStream, type Scenario } from './pair-stream.js';

export interface AaResult {
  readonly runs: number;
  readonly pairsPerRun: number;
  readonly falseRollbacks: number;
  /** Criterion of each false rollback. */
  readonly criteria: readonly string[];
}

export interface OnsetResult {
  readonly runs: number;
  /** Pairs from the onset to the rollback (the onset pair counts as 1), one per caught run. */
  readonly delays: readonly number[];
  readonly falseRollbacks: number;
  readonly missed: number;
  /** How often each criterion was the one that failed. */
  readonly byCriterion: Readonly<Record<string, number>>;
}

export function settingsOf(input: JudgeSettingsInput) {
  const parsed = parseJudgeSettings(input);
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  return parsed.settings;
}

export function simulateAa(runs: number, pairsPerRun: number, seed: number, settings: JudgeSettingsInput = {}, scenario: Scenario = { kind: 'healthy' }): AaResult {
  const s = settingsOf(settings);
  const criteria: string[] = [];
  for (let r = 0; r < runs; r++) {
    const judge = new SequentialJudge(s);
    const stream = new PairStream(seed + r, scenario);
    for (let i = 0; i < pairsPerRun; i++) {
      if (judge.observe(stream.next()) === 'fail') {
        criteria.push(judge.decision().failed!.criterion);
        break;
      }
    }
  }
  return { runs, pairsPerRun, falseRollbacks: criteria.length, criteria };
}

export function simulateOnset(runs: number, onset: number, maxDelay: number, seed: number, scenario: Scenario, settings: JudgeSettingsInput = {}): OnsetResult {
  const s = settingsOf(settings);
  const delays: number[] = [];
  const byCriterion: Record<string, number> = {};
  let falseRollbacks = 0;
  let missed = 0;
  for (let r = 0; r < runs; r++) {
    const judge = new SequentialJudge(s);
    const stream = new PairStream(seed + r, scenario, onset);
    let caught = false;
    for (let i = 1; i < onset + maxDelay; i++) {
      if (judge.observe(stream.next()) !== 'fail') continue;
      if (i < onset) falseRollbacks++;
      else {
        delays.push(i - onset + 1);
        const c = judge.decision().failed!.criterion;
        byCriterion[c] = (byCriterion[c] ?? 0) + 1;
      }
      caught = true;
      break;
    }
    if (!caught) missed++;
  }
  return { runs, delays, falseRollbacks, missed, byCriterion };
}

/** Quantile of a sample (R type 7). */
export function quantileOf(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
