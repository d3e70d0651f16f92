import assert from 'node:assert/strict';
import { DEFAULT_THRESHOLDS, judge, type JudgeThresholds, type PairSample } from '../src/analysis/judge.js';
import { PairWindows } from '../src/analysis/pair-window.js';
import {
  bootstrapQuantileRatio,
  newcombeDifference,
  normalCdf,
  normalQuantile,
  quantile,
  seededRandom,
  wilcoxonSignedRank,
  wilsonInterval,
} from '../src/analysis/statistics.js';

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);

describe('statistics (reference values from scipy 1.17)', function () {
  const cdf: Array<[number, number]> = [
    [1.96, 0.9750021048517795],
    [-3, 0.0013498980316300933],
    [0, 0.5],
  ];
  for (const [x, p] of cdf) it(`Φ(${x}) = ${p}`, () => close(normalCdf(x), p, 2e-7, 'Φ'));
  const ppf: Array<[number, number]> = [
    [0.975, 1.959963984540054],
    [0.001, -3.090232306167813],
  ];
  for (const [p, z] of ppf) it(`Φ⁻¹(${p}) = ${z}`, () => close(normalQuantile(p), z, 1e-8, 'Φ⁻¹'));

  const wilson: Array<[number, number, number, number]> = [
    [3, 400, 0.0025538891952499396, 0.021815720724032123],
    [0, 400, 0, 0.009512294334296508],
    [20, 400, 0.03259742983714726, 0.07596363506371961],
  ];
  for (const [k, n, low, high] of wilson) {
    it(`Wilson 95% interval of ${k}/${n} is [${low.toFixed(5)}, ${high.toFixed(5)}]`, function () {
      const ci = wilsonInterval(k, n, 0.95);
      close(ci.low, low, 1e-8, 'low');
      close(ci.high, high, 1e-8, 'high');
    });
  }

  it("Newcombe's hybrid interval of 56/70 − 48/80 is [0.0524, 0.3339] (Newcombe 1998, method 10)", function () {
    const ci = newcombeDifference(56, 70, 48, 80, 0.95);
    close(ci.low, 0.0524, 5e-4, 'low');
    close(ci.high, 0.3339, 5e-4, 'high');
  });

  it('Wilcoxon signed-rank of 15 differences (one zero, ties) gives W+ = 90, p(greater) = 0.009898, p(less) = 0.991649', function () {
    const d = [0.4, -0.1, 0.3, 0.3, 0.2, -0.2, 0.5, 0.1, 0.1, 0.6, -0.3, 0.2, 0.7, 0.0, 0.4];
    const r = wilcoxonSignedRank(d);
    assert.equal(r.n, 14);
    assert.equal(r.zeros, 1);
    assert.equal(r.wPlus, 90);
    close(r.pGreater, 0.009897710634775922, 1e-6, 'p greater');
    close(r.pLess, 0.9916485124347348, 1e-6, 'p less');
  });

  it('Wilcoxon of only zeros is p = 1 both ways', function () {
    const r = wilcoxonSignedRank([0, 0, 0]);
    assert.deepEqual([r.pGreater, r.pLess], [1, 1]);
  });

  it('quantile uses linear interpolation: p95 of 1..100 is 95.05', function () {
    close(
      quantile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.95,
      ),
      95.05,
      1e-9,
      'p95',
    );
  });

  it('the paired bootstrap of the p95 ratio is reproducible with the same seed and brackets 3 for a 3× slower side', function () {
    const rnd = seededRandom(42);
    const a = Array.from({ length: 300 }, () => 5 + rnd() * 5);
    const b = a.map((x) => 3 * x);
    const one = bootstrapQuantileRatio(a, b, { q: 0.95, iterations: 300, seed: 7, confidence: 0.98 });
    const two = bootstrapQuantileRatio(a, b, { q: 0.95, iterations: 300, seed: 7, confidence: 0.98 });
    assert.deepEqual(one, two);
    close(one.estimate, 3, 1e-9, 'estimate');
    assert.ok(one.low <= 3 + 1e-9 && one.high >= 3 - 1e-9);
  });
});

/** Pairs generated from a seeded PRNG. */
function pairs(n: number, options: { mismatchEvery?: number; mismatches?: number; ratio?: number; candidateErrors?: number; legacyErrors?: number; seed?: number } = {}): PairSample[] {
  const rnd = seededRandom(options.seed ?? 1);
  const out: PairSample[] = [];
  for (let i = 0; i < n; i++) {
    const legacy = 4 + rnd() * 4;
    const candidate = legacy * (options.ratio ?? 1) * (0.9 + rnd() * 0.2);
    const candidateError = i < (options.candidateErrors ?? 0);
    const legacyError = i >= n - (options.legacyErrors ?? 0);
    const mismatch = (options.mismatches !== undefined && i < options.mismatches) || (options.mismatchEvery !== undefined && i % options.mismatchEvery === 0);
    out.push({
      outcome: mismatch || candidateError ? 'mismatch' : 'match',
      legacyLatencyMs: legacy,
      candidateLatencyMs: candidateError ? null : candidate,
      legacyError,
      candidateError,
    });
  }
  return out;
}

describe('judge', function () {
  const t = (over: Partial<JudgeThresholds> = {}): JudgeThresholds => ({ ...DEFAULT_THRESHOLDS, ...over });
  const cases: Array<{ name: string; samples: PairSample[]; thresholds: JudgeThresholds; verdict: string; criteria?: string[] }> = [
    { name: '0 pairs', samples: [], thresholds: t(), verdict: 'inconclusive' },
    { name: '49 pairs, all mismatched and 10× slower, with minPairs 50 (too few never fails)', samples: pairs(49, { mismatches: 49, ratio: 10 }), thresholds: t(), verdict: 'inconclusive' },
    { name: '50 identical pairs with max mismatch 10%', samples: pairs(50), thresholds: t({ maxMismatchRate: 0.1, maxErrorRateIncrease: 0.1 }), verdict: 'pass', criteria: ['pass', 'pass', 'pass'] },
    { name: '50 identical pairs with max mismatch 1% (interval still straddles 1%)', samples: pairs(50), thresholds: t(), verdict: 'inconclusive', criteria: ['inconclusive', 'inconclusive', 'pass'] },
    { name: '400 pairs, 8 mismatches (2%) vs max 5%', samples: pairs(400, { mismatches: 8 }), thresholds: t({ maxMismatchRate: 0.05 }), verdict: 'pass', criteria: ['pass', 'pass', 'pass'] },
    { name: '400 pairs, 20 mismatches (5%) vs max 5%', samples: pairs(400, { mismatches: 20 }), thresholds: t({ maxMismatchRate: 0.05 }), verdict: 'inconclusive', criteria: ['inconclusive', 'pass', 'pass'] },
    { name: '400 pairs, 36 mismatches (9%) vs max 5%', samples: pairs(400, { mismatches: 36 }), thresholds: t({ maxMismatchRate: 0.05 }), verdict: 'fail', criteria: ['fail', 'pass', 'pass'] },
    { name: '400 pairs, 5% flipped labels vs max 1%', samples: pairs(400, { mismatchEvery: 20 }), thresholds: t(), verdict: 'fail' },
    { name: '400 pairs, candidate 3× slower', samples: pairs(400, { ratio: 3 }), thresholds: t({ maxMismatchRate: 0.05 }), verdict: 'fail', criteria: ['pass', 'pass', 'fail'] },
    { name: '400 pairs, candidate 1.2× slower vs max 1.5×', samples: pairs(400, { ratio: 1.2 }), thresholds: t({ maxMismatchRate: 0.05 }), verdict: 'pass' },
    { name: '400 pairs, candidate exactly 1.5× slower vs max 1.5× (undecided)', samples: pairs(400, { ratio: 1.5 }), thresholds: t({ maxMismatchRate: 0.05 }), verdict: 'inconclusive', criteria: ['pass', 'pass', 'inconclusive'] },
    { name: '400 pairs, 20 candidate errors vs 0 legacy errors', samples: pairs(400, { candidateErrors: 20 }), thresholds: t({ maxMismatchRate: 0.2 }), verdict: 'fail', criteria: ['pass', 'fail', 'pass'] },
    { name: '400 pairs, 4 errors on each side', samples: pairs(400, { candidateErrors: 4, legacyErrors: 4 }), thresholds: t({ maxMismatchRate: 0.05, maxErrorRateIncrease: 0.02 }), verdict: 'pass' },
    { name: '400 pairs, p95 3× slower, bootstrap test', samples: pairs(400, { ratio: 3 }), thresholds: t({ maxMismatchRate: 0.05, latencyTest: 'bootstrap-p95' }), verdict: 'fail', criteria: ['pass', 'pass', 'fail'] },
    { name: '400 pairs, same speed, bootstrap test', samples: pairs(400), thresholds: t({ maxMismatchRate: 0.05, latencyTest: 'bootstrap-p95' }), verdict: 'pass' },
  ];
  for (const c of cases) {
    it(`says ${c.verdict} for ${c.name}`, function () {
      const j = judge(c.samples, c.thresholds);
      assert.equal(j.verdict, c.verdict, j.reasons.join(' | ') || j.criteria.map((x) => `${x.name}: ${x.result} ${x.summary}`).join(' | '));
      if (c.criteria) assert.deepEqual(j.criteria.map((x) => x.result), c.criteria, j.criteria.map((x) => x.summary).join(' | '));
      assert.ok(Object.isFrozen(j));
    });
  }

  it('a failing verdict carries its evidence: n, test name and numbers for each criterion', function () {
    const j = judge(pairs(400, { ratio: 3, mismatches: 40 }), t());
    assert.equal(j.verdict, 'fail');
    const mismatch = j.criteria.find((c) => c.name === 'mismatch-rate')!;
    assert.equal(mismatch.n, 400);
    assert.match(mismatch.test, /^wilson-interval@0.95$/);
    assert.equal(mismatch.numbers.mismatches, 40);
    const latency = j.criteria.find((c) => c.name === 'latency')!;
    assert.match(latency.test, /wilcoxon-signed-rank/);
    assert.ok(latency.numbers.medianRatio > 2.8 && latency.numbers.medianRatio < 3.2);
    assert.equal(j.reasons.length, 2);
    assert.equal(j.description.latencyPairs, 400);
  });

  it('excludes not-compared pairs from the mismatch rate and errored pairs from latency', function () {
    const samples: PairSample[] = [
      ...pairs(100),
      ...Array.from({ length: 50 }, (): PairSample => ({ outcome: 'not-compared', legacyLatencyMs: 5, candidateLatencyMs: 5, legacyError: false, candidateError: false })),
    ];
    const j = judge(samples, t());
    assert.equal(j.description.compared, 100);
    assert.equal(j.description.notCompared, 50);
    assert.equal(j.description.latencyPairs, 150);
  });
});

describe('pair windows', function () {
  const sample: PairSample = { outcome: 'match', legacyLatencyMs: 1, candidateLatencyMs: 1, legacyError: false, candidateError: false };
  it('keeps the pairs of the last 10 s at t = 25 s (added at 5, 16, 20, 24 s)', function () {
    const w = new PairWindows({ windowMs: 10_000, maxPairs: 100 });
    for (const at of [5_000, 16_000, 20_000, 24_000]) w.add('r', sample, at);
    assert.equal(w.snapshot('r', 25_000).length, 3);
    assert.equal(w.added('r'), 4);
  });
  it('keeps at most 3 pairs (the newest), oldest first', function () {
    const w = new PairWindows({ windowMs: 1e9, maxPairs: 3 });
    for (let i = 1; i <= 5; i++) w.add('r', { ...sample, legacyLatencyMs: i }, i);
    assert.deepEqual(
      w.snapshot('r', 10).map((s) => s.legacyLatencyMs),
      [3, 4, 5],
    );
  });
  it('clear() empties one route only', function () {
    const w = new PairWindows({ windowMs: 1e9, maxPairs: 3 });
    w.add('a', sample, 1);
    w.add('b', sample, 1);
    w.clear('a');
    assert.deepEqual([w.snapshot('a', 2).length, w.snapshot('b', 2).length], [0, 1]);
  });
});
