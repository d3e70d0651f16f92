import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ks2samp, roundHalfEven } from '../src/drift/ks-2samp.js';
import { probOutsideSquare } from '../src/drift/ks-exact.js';
import { kstwoSf } from '../src/drift/kolmogorov-distribution.js';

interface Reference {
  scipy: string;
  samples: Record<string, number[]>;
  cases: { name: string; a: number[] | string; b: number[] | string; n1: number; n2: number; statistic: number; pvalue: number; method: 'exact' | 'asymp' }[];
}

// Made by ml/scripts/ks-reference.py with Debian's python3-scipy; dist/test/ -> ../../test/fixtures.
const reference = JSON.parse(readFileSync(fileURLToPath(new URL('../../test/fixtures/ks-reference.json', import.meta.url)), 'utf8')) as Reference;

describe(`two-sample KS test against scipy ${reference.scipy} ks_2samp(method="auto")`, () => {
  it(`has at least 24 reference cases (${reference.cases.length}), both methods, equal and unequal sizes`, () => {
    assert.ok(reference.cases.length >= 24);
    assert.ok(reference.cases.some((c) => c.method === 'asymp') && reference.cases.some((c) => c.method === 'exact'));
    assert.ok(reference.cases.some((c) => c.n1 === c.n2) && reference.cases.some((c) => c.n1 !== c.n2));
  });

  for (const c of reference.cases) {
    it(`${c.name}: D = ${c.statistic.toPrecision(6)} exactly, p = ${c.pvalue.toPrecision(6)} to 1e-6 relative (${c.method})`, () => {
      const a = typeof c.a === 'string' ? reference.samples[c.a] : c.a;
      const b = typeof c.b === 'string' ? reference.samples[c.b] : c.b;
      const r = ks2samp(a, b);
      assert.equal(r.statistic, c.statistic);
      assert.equal(r.method, c.method);
      if (c.pvalue === 0) assert.equal(r.pvalue, 0);
      else assert.ok(Math.abs(r.pvalue - c.pvalue) <= 1e-6 * Math.abs(c.pvalue), `p ${r.pvalue} vs scipy ${c.pvalue}`);
    });
  }

  const rounding: [number, number][] = [
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [2.4999, 2],
    [2.5001, 3],
    [-0.5, 0],
    [-1.5, -2],
  ];
  for (const [x, expected] of rounding) {
    it(`roundHalfEven(${x}) = ${expected}, as numpy.round`, () => assert.equal(roundHalfEven(x), expected));
  }

  it('P(D_{5,5} ≥ 1) = 2/C(10,5) = 1/126 exactly; kstwo.sf(1, 10) = 0 and sf(0.01, 10) = 1 (outside the support)', () => {
    assert.ok(Math.abs(probOutsideSquare(5, 5) - 2 / 252) < 1e-16);
    assert.equal(kstwoSf(1, 10), 0);
    assert.equal(kstwoSf(0.01, 10), 1);
  });

  it('refuses an empty sample and a NaN value with a RangeError', () => {
    assert.throws(() => ks2samp([], [1, 2]), /first sample is empty/);
    assert.throws(() => ks2samp([1, Number.NaN], [1, 2]), /non-finite/);
  });
});
