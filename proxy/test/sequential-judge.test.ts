import assert from 'node:assert/strict';
import { BernoulliCusum, bernoulliLogLikelihoodRatio, cusumThreshold, effectiveThreshold, siegmundArl } from '../src/analysis/bernoulli-cusum.js';
import { errorRates } from '../src/analysis/error-rate-detector.js';
import { mismatchRates } from '../src/analysis/mismatch-detector.js';
import type { JudgePair } from '../src/analysis/judge-evidence.js';
import { DEFAULT_JUDGE_SETTINGS, parseJudgeSettings } from '../src/analysis/judge-settings.js';
import { SequentialJudge } from '../src/analysis/sequential-judge.js';
import { PairStream } from '../bench/pair-stream.js';
import { seededRandom } from '../src/analysis/seeded-random.js';
import { quantileOf, settingsOf, simulateAa, simulateOnset } from '../bench/judge-simulation.js';
import { requireReference, scipyReference } from './support/scipy.js';

const good: JudgePair = { outcome: 'match', legacyLatencyMs: 20, candidateLatencyMs: 21, legacyError: false, candidateError: false };
const mismatch = (id: number): JudgePair => ({ ...good, outcome: 'mismatch', id });

describe('judge settings', function () {
  it('an empty judge object gives the defaults, frozen', function () {
    const r = parseJudgeSettings({});
    assert.ok(r.ok);
    assert.deepEqual(r.settings, DEFAULT_JUDGE_SETTINGS);
    assert.ok(Object.isFrozen(r.settings));
  });

  it('a route overrides only the fields it names', function () {
    const r = parseJudgeSettings({ maxMismatchRate: 0.005, warmupPairs: 0 });
    assert.ok(r.ok);
    assert.equal(r.settings.maxMismatchRate, 0.005);
    assert.equal(r.settings.warmupPairs, 0);
    assert.equal(r.settings.maxLatencyRatio, DEFAULT_JUDGE_SETTINGS.maxLatencyRatio);
  });

  const bad: Array<[unknown, RegExp]> = [
    [{ falseAlarmLevel: 0.5 }, /^routes\[a\]\.judge\.falseAlarmLevel: /],
    [{ maxMismatchRate: 0 }, /^routes\[a\]\.judge\.maxMismatchRate: /],
    [{ maxLatencyRatio: 1 }, /^routes\[a\]\.judge\.maxLatencyRatio: /],
    [{ warmupPairs: 1.5 }, /^routes\[a\]\.judge\.warmupPairs: /],
    [{ mismatchInControlFraction: 1 }, /^routes\[a\]\.judge\.mismatchInControlFraction: /],
    [{ errorInControlFraction: 0 }, /^routes\[a\]\.judge\.errorInControlFraction: /],
    [{ inControlFraction: 0.05 }, /^routes\[a\]\.judge: Unrecognized key/],
    [{ failuresToRollback: 3 }, /^routes\[a\]\.judge: Unrecognized key/],
    ['fast', /^routes\[a\]\.judge: Expected object/],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input)} naming the field`, function () {
      const r = parseJudgeSettings(input, 'routes[a].judge');
      assert.equal(r.ok, false);
      assert.match((r as { errors: readonly string[] }).errors[0], message);
    });
  }
});

describe('Bernoulli CUSUM math', function () {
  it('log-likelihood ratios equal scipy.stats.bernoulli.logpmf differences', function () {
    const cases = [
      [0.001, 0.04],
      [0.0005, 0.1],
      [0.5, 0.75],
      [2 / 3, 0.97],
    ];
    const ref = requireReference(
      this,
      scipyReference<number[][]>(
        'cases = json.load(sys.stdin)\nprint(json.dumps([[float(stats.bernoulli.logpmf(x, p1) - stats.bernoulli.logpmf(x, p0)) for x in (1, 0)] for p0, p1 in cases]))',
        cases,
      ),
    );
    cases.forEach(([p0, p1], i) => {
      assert.ok(Math.abs(bernoulliLogLikelihoodRatio(true, p0, p1) - ref[i][0]) < 1e-12, `event ${p0} vs ${p1}`);
      assert.ok(Math.abs(bernoulliLogLikelihoodRatio(false, p0, p1) - ref[i][1]) < 1e-12, `non-event ${p0} vs ${p1}`);
    });
  });

  it('the effective threshold p* is the root of the expected LLR (scipy brentq); defaults sit at 0.91× and 0.82× the thresholds', function () {
    const cases = [
      [0.005, 0.015],
      [0.0005, 0.035],
      [0.0025, 0.0075],
      [0.3, 0.6],
    ];
    const ref = requireReference(
      this,
      scipyReference<number[]>(
        [
          'from scipy.optimize import brentq',
          'cases = json.load(sys.stdin)',
          'llr = lambda p, p0, p1: p * (stats.bernoulli.logpmf(1, p1) - stats.bernoulli.logpmf(1, p0)) + (1 - p) * (stats.bernoulli.logpmf(0, p1) - stats.bernoulli.logpmf(0, p0))',
          'print(json.dumps([brentq(llr, p0, p1, args=(p0, p1), xtol=1e-15) for p0, p1 in cases]))',
        ].join('\n'),
        cases,
      ),
    );
    cases.forEach(([p0, p1], i) => assert.ok(Math.abs(effectiveThreshold(p0, p1) - ref[i]) < 1e-12, `${p0} vs ${p1}: ${effectiveThreshold(p0, p1)} vs ${ref[i]}`));
    const d = DEFAULT_JUDGE_SETTINGS;
    const mm = mismatchRates(d);
    assert.equal((effectiveThreshold(mm.p0, mm.p1[0]) / d.maxMismatchRate).toFixed(2), '0.91');
    const er = errorRates(d, 0);
    assert.equal((effectiveThreshold(er.p0, er.p1[0]) / d.maxErrorRateIncrease).toFixed(2), '0.82');
    // A legacy-only failure rate only raises the error criterion's p* above r̂ + 0.82 points.
    for (const r of [0.001, 0.01, 0.05]) {
      const e = errorRates(d, r);
      assert.ok(effectiveThreshold(e.p0, e.p1[0]) - r >= 0.82 * d.maxErrorRateIncrease, `r̂ ${r}`);
    }
  });

  it('h = ln(K/α): 3 alternatives at α = 1e-5 give 12.61', function () {
    assert.equal(cusumThreshold(3, 1e-5).toFixed(2), '12.61');
    assert.throws(() => cusumThreshold(3, 0), /false-alarm level/);
  });

  // A lattice case: choose p1 so that an event moves the CUSUM up exactly m steps of a non-event's
  // size b; its run length is then a Markov chain on 0…H−1 (Brook & Evans 1972), solved exactly.
  function latticeP1(p0: number, m: number): number {
    let lo = p0 * (1 + 1e-9);
    let hi = 1 - 1e-12;
    const f = (p1: number) => Math.log(p1 / p0) - m * (Math.log1p(-p0) - Math.log1p(-p1));
    for (let i = 0; i < 200; i++) {
      const mid = (lo + hi) / 2;
      if (f(mid) > 0) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  }

  const lattice = [
    { p0: 0.1, m: 4, H: 12, p: 0.1 },
    { p0: 0.1, m: 4, H: 12, p: 0.05 },
    { p0: 0.05, m: 6, H: 20, p: 0.15 },
  ];
  for (const c of lattice) {
    it(`run length at p = ${c.p} (p0 ${c.p0}, up ${c.m} steps, H ${c.H}) matches the exact Markov-chain ARL from numpy`, function () {
      const ref = requireReference(
        this,
        scipyReference<{ arl: number }>(
          [
            'c = json.load(sys.stdin)',
            'H, m, p = c["H"], c["m"], c["p"]',
            'Q = np.zeros((H, H))',
            'for i in range(H):',
            '    Q[i, max(0, i - 1)] += 1 - p',
            '    if i + m < H: Q[i, i + m] += p',
            'L = np.linalg.solve(np.eye(H) - Q, np.ones(H))',
            'print(json.dumps({"arl": float(L[0])}))',
          ].join('\n'),
          c,
        ),
      );
      const p1 = latticeP1(c.p0, c.m);
      const b = Math.log1p(-c.p0) - Math.log1p(-p1);
      const cusum = new BernoulliCusum(1, Math.exp(-(c.H - 0.5) * b));
      cusum.setRates(c.p0, [p1]);
      const random = seededRandom(7);
      const runs = 2000;
      let sum = 0;
      let sumSq = 0;
      for (let r = 0; r < runs; r++) {
        cusum.reset();
        let n = 0;
        while (!cusum.observe(random() < c.p, ++n, NaN));
        sum += n;
        sumSq += n * n;
      }
      const mean = sum / runs;
      const se = Math.sqrt((sumSq / runs - mean * mean) / runs);
      console.log(`      simulated ARL ${mean.toFixed(1)} ± ${se.toFixed(1)}, exact ${ref.arl.toFixed(1)}, Siegmund ${siegmundArl(c.p, c.p0, p1, (c.H - 0.5) * b).toFixed(1)}`);
      assert.ok(Math.abs(mean - ref.arl) < 4 * se, `simulated ${mean} ± ${se} vs exact ${ref.arl}`);
      // The README's in-control figures use Siegmund's approximation: it must not overstate the ARL.
      if (c.p <= c.p0) assert.ok(siegmundArl(c.p, c.p0, p1, (c.H - 0.5) * b) <= ref.arl, 'Siegmund overstates the ARL');
    });
  }

  it("Ville's bound: at the in-control rate itself the mean run length is ≥ 1/α (α = 0.01, K = 3)", function () {
    const alpha = 0.01;
    const cusum = new BernoulliCusum(3, alpha);
    cusum.setRates(0.05, [0.1, 0.2, 0.5]);
    const random = seededRandom(11);
    const runs = 2000;
    let sum = 0;
    let within10 = 0;
    for (let r = 0; r < runs; r++) {
      cusum.reset();
      let n = 0;
      while (!cusum.observe(random() < 0.05, ++n, NaN) && n < 1_000_000);
      sum += n;
      if (n <= 10) within10++;
    }
    console.log(`      mean run length ${(sum / runs).toFixed(0)} (bound ${1 / alpha}); P(alarm within 10) ${(within10 / runs).toFixed(4)} (bound ${10 * alpha})`);
    assert.ok(sum / runs >= 1 / alpha);
    assert.ok(within10 / runs <= 10 * alpha);
  });

  it('the onset is the pair where the CUSUM last left 0, with the rate since then', function () {
    const cusum = new BernoulliCusum(1, 1e-3);
    cusum.setRates(0.01, [0.2]);
    let i = 0;
    for (; i < 500; i++) cusum.observe(false, i + 1, 1000 + i);
    let alarm = false;
    while (!alarm) {
      i++;
      alarm = cusum.observe(i % 3 === 1, i, 1000 + i);
    }
    const s = cusum.snapshot();
    assert.equal(s.onsetPair, 502);
    assert.equal(s.onsetAt, 1502);
    assert.equal(s.eventsSinceOnset, Math.ceil(s.trialsSinceOnset / 3));
    assert.ok(s.statistic >= s.threshold);
    assert.ok(s.eventsSinceOnset > 0 && s.trialsSinceOnset >= s.eventsSinceOnset);
  });
});

describe('sequential judge', function () {
  it('too few pairs is undecided, never a failure; the decision comes at the warm-up', function () {
    const judge = new SequentialJudge(settingsOf({ warmupPairs: 50 }));
    for (let i = 1; i < 50; i++) assert.equal(judge.observe(mismatch(i)), 'undecided');
    assert.equal(judge.observe(mismatch(50)), 'fail');
    assert.equal(judge.decision().failed?.criterion, 'mismatch-rate');
  });

  it('with no traffic the judge holds: no pairs, no change of state', function () {
    const judge = new SequentialJudge();
    for (let i = 0; i < 200; i++) judge.observe(good);
    const before = judge.decision();
    assert.equal(before.status, 'pass');
    assert.deepEqual(judge.decision(), before);
  });

  it('a candidate that stops answering fails on the error rate (its errors count)', function () {
    const judge = new SequentialJudge();
    for (let i = 0; i < 5000; i++) judge.observe(good);
    const dead: JudgePair = { outcome: 'mismatch', legacyLatencyMs: 20, candidateLatencyMs: null, legacyError: false, candidateError: true };
    let n = 0;
    while (judge.observe(dead) !== 'fail') n++;
    const d = judge.decision();
    assert.equal(d.failed?.criterion, 'error-rate');
    assert.ok(n < 10, `${n} dead pairs before the rollback`);
  });

  it('1,000,000 good pairs do not dilute a later 10% flip: caught within 150 pairs, onset and examples point at it', function () {
    const judge = new SequentialJudge();
    const stream = new PairStream(99, { kind: 'flip', rate: 0.1 }, 1_000_001);
    let status = 'pass';
    while (status !== 'fail') status = judge.observe(stream.next(), stream.index * 0.2);
    const d = judge.decision();
    const delay = d.pairs - 1_000_000;
    console.log(`      caught ${delay} pairs after the flip; onset estimate ${d.failed?.onsetPair}`);
    assert.ok(delay > 0 && delay <= 150, `delay ${delay}`);
    assert.equal(d.failed?.criterion, 'mismatch-rate');
    assert.ok(d.failed!.onsetPair! > 1_000_000 - 50 && d.failed!.onsetPair! <= d.pairs, `onset ${d.failed?.onsetPair}`);
    assert.ok(d.failed!.onsetAt! >= (d.failed!.onsetPair! - 1) * 0.2);
    assert.ok(d.failed!.examples.length > 0 && d.failed!.examples.every((id) => Number(id) > 1_000_000 - 50));
    assert.ok(d.failed!.statistic >= d.failed!.threshold);
    assert.match(d.reason, /^mismatch-rate failed at pair \d+: /);
    assert.equal(d.criteria.length, 4);
  });

  it('a stall (40 slow pairs in a row, 10 ms vs 40 ms) does not roll back; a candidate that stays 2× slower does', function () {
    const judge = new SequentialJudge();
    const at = (legacy: number, candidate: number): JudgePair => ({ ...good, legacyLatencyMs: legacy, candidateLatencyMs: candidate });
    for (let i = 0; i < 1000; i++) judge.observe(at(20, 20 + (i % 7) - 3));
    for (let i = 0; i < 40; i++) assert.equal(judge.observe(at(10, 40)), 'pass', `stall pair ${i}`);
    for (let i = 0; i < 1000; i++) judge.observe(at(20, 20 + (i % 7) - 3));
    let n = 0;
    while (judge.observe(at(20, 40)) !== 'fail') n++;
    assert.equal(judge.decision().failed?.criterion, 'latency');
    assert.ok(n < 100, `${n} slow pairs before the rollback`);
  });

  it('pairs closer than minLatencyDifferenceMs (5 ms) are never slow: 1 ms vs 3 ms upstreams hold', function () {
    const judge = new SequentialJudge();
    for (let i = 0; i < 5000; i++) assert.notEqual(judge.observe({ ...good, legacyLatencyMs: 1, candidateLatencyMs: 3 }), 'fail');
  });

  it('after a failure the evidence is frozen; reset() starts afresh', function () {
    const judge = new SequentialJudge(settingsOf({ warmupPairs: 0 }));
    while (judge.observe(mismatch(1)) !== 'fail');
    const pairs = judge.pairs;
    judge.observe(good);
    assert.equal(judge.pairs, pairs);
    judge.reset();
    assert.equal(judge.status, 'pass');
    assert.equal(judge.pairs, 0);
    assert.deepEqual(judge.decision().criteria.map((c) => c.statistic), [0, 0, 0, 0]);
  });

  it('observeBatch stops at the first failing pair', function () {
    const judge = new SequentialJudge(settingsOf({ warmupPairs: 0 }));
    const batch = Array.from({ length: 100 }, (_, i) => mismatch(i));
    assert.equal(judge.observeBatch(batch), 'fail');
    assert.ok(judge.pairs < 100);
  });
});

describe('sequential judge figures (seeded, fewer runs than `npm run bench:judge`)', function () {
  this.timeout(120_000);
  const RUNS = 40;
  const ONSET = 10_000;

  it('A/A: 4 runs × 250,000 identical pairs, no false rollback', function () {
    const r = simulateAa(4, 250_000, 4242);
    assert.equal(r.falseRollbacks, 0, r.criteria.join(', '));
  });

  it('A/A whose sides fail independently at 0.1%: 2 runs × 250,000 pairs, no false rollback', function () {
    const r = simulateAa(2, 250_000, 4343, {}, { kind: 'independent-errors' });
    assert.equal(r.falseRollbacks, 0, r.criteria.join(', '));
  });

  it('a candidate at 0.5 × maxMismatchRate is not rolled back: 6 runs × 50,000 pairs', function () {
    const r = simulateOnset(6, 1, 50_000, 4545, { kind: 'flip', rate: 0.5 * DEFAULT_JUDGE_SETTINGS.maxMismatchRate });
    assert.equal(r.delays.length, 0, `rolled back after ${r.delays.join(', ')} pairs`);
  });

  it('a candidate at 2 × maxMismatchRate is rolled back (6 runs, each within 50,000 pairs, on mismatch-rate)', function () {
    const r = simulateOnset(6, 1, 50_000, 4646, { kind: 'flip', rate: 2 * DEFAULT_JUDGE_SETTINGS.maxMismatchRate });
    console.log(`      pairs to the rollback: ${r.delays.join(', ')}`);
    assert.equal(r.missed, 0);
    assert.deepEqual(r.byCriterion, { 'mismatch-rate': 6 });
  });

  const rows = [
    { name: '10% label flips', scenario: { kind: 'flip', rate: 0.1 } as const, settings: {}, p95: 150 },
    { name: '2% label flips with maxMismatchRate 0.5%', scenario: { kind: 'flip', rate: 0.02 } as const, settings: { maxMismatchRate: 0.005 }, p95: 1500 },
    { name: 'candidate 5xx at 5%', scenario: { kind: 'errors', rate: 0.05 } as const, settings: {}, p95: 200 },
    { name: 'candidate 2× slower, maxLatencyRatio 1.5', scenario: { kind: 'slower', factor: 2 } as const, settings: { maxLatencyRatio: 1.5 }, p95: 200 },
    { name: '2% of candidate answers 20× slower', scenario: { kind: 'tail', rate: 0.02, factor: 20 } as const, settings: {}, p95: 20_000 },
  ];
  rows.forEach((row, i) => {
    it(`${row.name}: p95 delay ≤ ${row.p95} pairs after the onset`, function () {
      const r = simulateOnset(RUNS, ONSET, 50_000, 777 + i * 1000, row.scenario, row.settings);
      const p95 = quantileOf(r.delays, 0.95);
      console.log(`      median ${quantileOf(r.delays, 0.5)}, p95 ${p95}, missed ${r.missed}, early ${r.falseRollbacks}`);
      assert.equal(r.falseRollbacks, 0);
      assert.equal(r.missed, 0);
      assert.ok(p95 <= row.p95, `p95 ${p95}`);
    });
  });
});
