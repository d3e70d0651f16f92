/**
 * `npm run bench:judge`: the issue's "Figures to reach" for the pure sequential judge, from seeded
 * simulations (pair-stream.ts describes the streams). Prints one table:
 *
 *   A/A           BENCH_AA_RUNS (100) runs × BENCH_AA_PAIRS (1,000,000) identical pairs: false rollbacks
 *   onset         BENCH_RUNS (200) runs per scenario, regression after BENCH_ONSET (50,000) healthy
 *                 pairs: delay in pairs after the onset, median and p95
 *   cost          µs per pair of SequentialJudge.observe, and the share of one core at 5,000 pairs/s
 *
 * Single-threaded (about a minute on one core at full size).
 */
import { SequentialJudge } from '../src/analysis/sequential-judge.js';
import { cusumThreshold, siegmundArl } from '../src/analysis/bernoulli-cusum.js';
import type { JudgePair } from '../src/analysis/judge-evidence.js';
import { PairStream, type Scenario } from './pair-stream.js';
import { quantileOf, settingsOf, simulateAa, simulateOnset } from './judge-simulation.js';
import type { JudgeSettingsInput } from '../src/analysis/judge-settings.js';

const int = (name: string, fallback: number) => {
  const v = process.env[name];
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  return n;
};
const AA_RUNS = int('BENCH_AA_RUNS', 100);
const AA_PAIRS = int('BENCH_AA_PAIRS', 1_000_000);
const RUNS = int('BENCH_RUNS', 200);
const ONSET = int('BENCH_ONSET', 50_000);
const MAX_DELAY = 200_000;
const SEED = int('BENCH_SEED', 12);

interface Row {
  readonly name: string;
  readonly scenario: Scenario;
  readonly settings: JudgeSettingsInput;
  readonly target: number | null;
}

const ROWS: readonly Row[] = [
  { name: '10% label flips', scenario: { kind: 'flip', rate: 0.1 }, settings: {}, target: 150 },
  { name: '2% label flips, maxMismatchRate 0.5%', scenario: { kind: 'flip', rate: 0.02 }, settings: { maxMismatchRate: 0.005 }, target: 1500 },
  { name: 'candidate 5xx at 5%', scenario: { kind: 'errors', rate: 0.05 }, settings: {}, target: 200 },
  { name: 'candidate 2× slower, maxLatencyRatio 1.5', scenario: { kind: 'slower', factor: 2 }, settings: { maxLatencyRatio: 1.5 }, target: 200 },
  { name: '2% of candidate answers 20× slower', scenario: { kind: 'tail', rate: 0.02, factor: 20 }, settings: {}, target: null },
];

function cost(): { usPerPair: number; coreShareAt5k: number } {
  const stream = new PairStream(SEED, { kind: 'healthy' });
  const pairs: JudgePair[] = [];
  for (let i = 0; i < 100_000; i++) pairs.push({ ...stream.next() });
  const judge = new SequentialJudge(settingsOf({}));
  for (const p of pairs) judge.observe(p); // warm the JIT
  const rounds = 20;
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (const p of pairs) judge.observe(p);
  const ns = Number(process.hrtime.bigint() - start) / (rounds * pairs.length);
  return { usPerPair: ns / 1000, coreShareAt5k: (ns * 5000) / 1e9 };
}

/**
 * The in-control figures: each criterion's event rate in an A/A stream (measured on 1,000,000
 * pairs), Siegmund's ARL for each alternative at that rate (understated, see bernoulli-cusum.ts),
 * and P(false alarm within 1,000,000 pairs) ≈ Σ_k 1 − exp(−observations/ARL_k).
 */
function inControlFigures(): void {
  const d = settingsOf({});
  const h = cusumThreshold(3, d.falseAlarmLevel);
  const n = 1_000_000;
  const rates = (scenario: Scenario) => {
    const stream = new PairStream(SEED + 5, scenario);
    let slow = 0, latency = 0, tail = 0, tailCandidate = 0, candidateOnly = 0, legacyOnly = 0;
    for (let i = 0; i < n; i++) {
      const p = stream.next();
      if (p.candidateError && !p.legacyError) candidateOnly++;
      if (p.legacyError && !p.candidateError) legacyOnly++;
      if (p.legacyError || p.candidateError) continue;
      const l = p.legacyLatencyMs!, c = p.candidateLatencyMs!;
      latency++;
      const slack = d.minLatencyDifferenceMs;
      if (c > d.maxLatencyRatio * l && c - l >= slack) slow++;
      if (c >= d.tailLatencyRatio * l && c - l >= slack) { tail++; tailCandidate++; } else if (l >= d.tailLatencyRatio * c && l - c >= slack) tail++;
    }
    return { slow: slow / latency, latency, tail, tailShare: tail ? tailCandidate / tail : 0, candidateOnly: candidateOnly / n, legacyOnly: legacyOnly / n };
  };
  const pFa = (observations: number, p: number, p0: number, p1s: readonly number[]) =>
    p1s.reduce((sum, p1) => sum + 1 - Math.exp(-observations / siegmundArl(p, p0, p1, h)), 0);
  const fmt = (x: number) => (x < 1e-12 ? '< 1e-12' : x.toExponential(1));
  const aa = rates({ kind: 'healthy' });
  const ind = rates({ kind: 'independent-errors' });
  const f = d.inControlFraction, m = d.maxMismatchRate, e = d.maxErrorRateIncrease;
  const grid = [1, 4, 10];
  const r = ind.legacyOnly;
  const p0e = r + Math.min(Math.max(2 * r, f * e), e / 2);
  console.log(`\nin control (h = ln(3/α) = ${h.toFixed(2)}; Ville: ARL ≥ 1/α = ${(1 / d.falseAlarmLevel).toLocaleString('en')} observations at each boundary, P(alarm within N) ≤ N·α)`);
  console.log(`  mismatch-rate  boundary ${f * m}; A/A rate 0 (identical answers): never`);
  console.log(`  error-rate     boundary r̂ + clamp(2r̂, ${f * e}, ${e / 2}); A/A identical: 0 candidate-only failures, never; independent 0.1% failures: rate ${ind.candidateOnly.toFixed(5)} vs p0 ${p0e.toFixed(5)} -> P(false alarm within 1e6 pairs) ≈ ${fmt(pFa(n, ind.candidateOnly, p0e, grid.map((g) => r + g * e)))}`);
  // Blocks of 4 latency pairs, slow when ≥ 3 are: P(Binomial(4, q) ≥ 3).
  const block = (q: number) => 4 * q ** 3 * (1 - q) + q ** 4;
  const hBlock = cusumThreshold(2, d.falseAlarmLevel);
  const pBlock = [0.5, 0.74].reduce((sum, p1) => sum + 1 - Math.exp(-(aa.latency / 4) / siegmundArl(block(aa.slow), 5 / 16, p1, hBlock)), 0);
  console.log(`  latency        boundary: median ratio = ${d.maxLatencyRatio}, P(slow block) = 5/16; A/A slow-pair rate ${aa.slow.toFixed(4)}, slow-block rate ${block(aa.slow).toFixed(4)} -> P(false alarm within 1e6 pairs) ≈ ${fmt(pBlock)}`);
  console.log(`  tail-latency   boundary share ${d.inControlTailShare.toFixed(3)}; A/A: ${aa.tail} tail pairs per 1e6, candidate share ${aa.tailShare.toFixed(3)} -> P(false alarm within 1e6 pairs) ≈ ${fmt(pFa(aa.tail, aa.tailShare, d.inControlTailShare, [0.8, 0.9, 0.97]))}`);
}

function main(): void {
  const started = Date.now();
  const defaults = settingsOf({});
  console.log(`sequential judge bench (seed ${SEED}); defaults: ${JSON.stringify(defaults)}`);
  const aa = simulateAa(AA_RUNS, AA_PAIRS, SEED * 1000);
  console.log(`\nA/A: ${aa.runs} runs × ${aa.pairsPerRun.toLocaleString('en')} identical pairs -> false rollbacks: ${aa.falseRollbacks}${aa.criteria.length ? ` (${aa.criteria.join(', ')})` : ''}   [target ≤ 1, aim 0]`);
  const indep = simulateAa(Math.max(1, Math.round(AA_RUNS / 5)), AA_PAIRS, SEED * 2000, {}, { kind: 'independent-errors' });
  console.log(`A/A, each side failing independently at 0.1%: ${indep.runs} runs × ${indep.pairsPerRun.toLocaleString('en')} pairs -> false rollbacks: ${indep.falseRollbacks}${indep.criteria.length ? ` (${indep.criteria.join(', ')})` : ''}`);
  console.log(`\nonset after ${ONSET.toLocaleString('en')} healthy pairs, ${RUNS} runs each; delay = pairs after the onset until the rollback`);
  console.log(`${'scenario'.padEnd(44)} ${'median'.padStart(7)} ${'p95'.padStart(7)} ${'max'.padStart(7)}  target  missed  early  criterion`);
  for (const row of ROWS) {
    const r = simulateOnset(RUNS, ONSET, MAX_DELAY, SEED * 3000 + ROWS.indexOf(row) * 100_000, row.scenario, row.settings);
    const p95 = Math.round(quantileOf(r.delays, 0.95));
    const ok = row.target === null ? r.missed === 0 : p95 <= row.target && r.missed === 0;
    const by = Object.entries(r.byCriterion).map(([c, n]) => `${c} ${n}`).join(', ');
    console.log(
      `${row.name.padEnd(44)} ${String(Math.round(quantileOf(r.delays, 0.5))).padStart(7)} ${String(p95).padStart(7)} ${String(Math.max(0, ...r.delays)).padStart(7)}  ${(row.target === null ? 'caught' : `≤ ${row.target}`).padEnd(6)}  ${String(r.missed).padStart(6)}  ${String(r.falseRollbacks).padStart(5)}  ${by}  ${ok ? 'OK' : 'MISSED TARGET'}`,
    );
  }
  inControlFigures();
  const c = cost();
  console.log(`\njudge cost: ${c.usPerPair.toFixed(3)} µs/pair; at 5,000 pairs/s that is ${(c.coreShareAt5k * 100).toFixed(3)}% of one core`);
  console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

main();
