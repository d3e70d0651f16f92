import assert from 'node:assert/strict';
import { createRandom } from '../src/random/prng.js';

describe('seeded PRNG (xoshiro128**)', () => {
  it('gives the same 1,000 draws for the same seed and different draws for seed 42 vs 43', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const xs = Array.from({ length: 1000 }, () => a.uniform());
    assert.deepEqual(xs, Array.from({ length: 1000 }, () => b.uniform()));
    assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, () => c.uniform()));
  });

  const moments: [string, (seed: number) => () => number, number, number, number][] = [
    ['uniform() has mean 0.5 ± 0.01 and variance 1/12 ± 4 %', (s) => createRandom(s).uniform, 0.5, 1 / 12, 0.01],
    ['normal(25, 2) has mean 25 ± 0.04 and variance 4 ± 4 %', (s) => { const r = createRandom(s); return () => r.normal(25, 2); }, 25, 4, 0.04],
    ['between(-3, 5) has mean 1 ± 0.08 and variance 64/12 ± 4 %', (s) => { const r = createRandom(s); return () => r.between(-3, 5); }, 1, 64 / 12, 0.08],
  ];
  for (const [name, make, mean, variance, meanTolerance] of moments) {
    it(`${name} over 20,000 draws`, () => {
      const draw = make(7);
      const xs = Array.from({ length: 20_000 }, draw);
      const m = xs.reduce((s, x) => s + x, 0) / xs.length;
      const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length;
      assert.ok(Math.abs(m - mean) < meanTolerance, `mean ${m}`);
      assert.ok(Math.abs(v - variance) / variance < 0.04, `variance ${v}`);
    });
  }

  it('keeps uniform() in [0, 1) and int(6) in 0..5 with each face 1/6 ± 0.01 over 60,000 rolls', () => {
    const r = createRandom(1);
    const faces = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) {
      const u = r.uniform();
      assert.ok(u >= 0 && u < 1);
      faces[r.int(6)]++;
    }
    for (const f of faces) assert.ok(Math.abs(f / 60_000 - 1 / 6) < 0.01, `face share ${f / 60_000}`);
  });

  it('choice(L/M/H, 50/30/20) gives shares within 0.01 of the weights over 50,000 draws', () => {
    const r = createRandom(5);
    const counts: Record<string, number> = { L: 0, M: 0, H: 0 };
    for (let i = 0; i < 50_000; i++) counts[r.choice(['L', 'M', 'H'], [0.5, 0.3, 0.2])]++;
    assert.ok(Math.abs(counts.L / 50_000 - 0.5) < 0.01);
    assert.ok(Math.abs(counts.M / 50_000 - 0.3) < 0.01);
    assert.ok(Math.abs(counts.H / 50_000 - 0.2) < 0.01);
  });

  it('sampleIndices(50, 10) returns 10 distinct indices below 50, and refuses 11 of 10', () => {
    const idx = createRandom(123).sampleIndices(50, 10);
    assert.equal(idx.length, 10);
    assert.equal(new Set(idx).size, 10);
    assert.ok(idx.every((i) => i >= 0 && i < 50 && Number.isInteger(i)));
    assert.throws(() => createRandom(1).sampleIndices(10, 11), RangeError);
    assert.throws(() => createRandom(1.5), RangeError);
  });
});
