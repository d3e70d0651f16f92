/**
 * Seeded randomness: every generator, trainer and simulator in this library draws from a
 * `Random` made here, so the same seed gives the same data, the same models and the same
 * byte-identical registry files on every machine.
 *
 *   const rng = createRandom(42);
 *   rng.uniform();        // 0.…  in [0, 1)
 *   rng.normal(25, 1);    // Box–Muller
 *   rng.choice(['L', 'M', 'H'], [0.5, 0.3, 0.2]);
 *
 * The core is xoshiro128** (Blackman & Vigna), 32-bit state words so it runs on plain JS numbers;
 * its 128-bit state is filled from the seed with splitmix32 so nearby seeds give unrelated streams.
 */

/** A deterministic stream of random numbers; two instances with the same seed agree forever. */
export interface Random {
  /** Uniform in [0, 1), 53 random bits. */
  uniform(): number;
  /** Uniform in [low, high). */
  between(low: number, high: number): number;
  /** Normal(mean, sd) by Box–Muller; the second variate of each pair is kept for the next call. */
  normal(mean?: number, sd?: number): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** One element of `items`, with optional weights (need not sum to 1). */
  choice<T>(items: readonly T[], weights?: readonly number[]): T;
  /** `k` distinct integers of [0, n), in draw order (a partial Fisher–Yates shuffle). */
  sampleIndices(n: number, k: number): number[];
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** A seeded `Random`; the seed is any integer (only its low 32 bits count). */
export function createRandom(seed: number): Random {
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const init = { s: seed | 0 };
  let a = splitmix32(init);
  let b = splitmix32(init);
  let c = splitmix32(init);
  let d = splitmix32(init);
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point

  const next32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };

  const uniform = (): number => {
    // 27 + 26 bits, like numpy's random_sample, so every double in [0,1) with 53-bit spacing can occur.
    const hi = next32() >>> 5;
    const lo = next32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  };

  let spare: number | undefined;
  const standardNormal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u1 = uniform();
    while (u1 === 0) u1 = uniform();
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };

  const int = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return Math.floor(uniform() * n);
  };

  return {
    uniform,
    between: (low, high) => low + (high - low) * uniform(),
    normal: (mean = 0, sd = 1) => mean + sd * standardNormal(),
    int,
    choice<T>(items: readonly T[], weights?: readonly number[]): T {
      if (items.length === 0) throw new RangeError('choice() from an empty list');
      if (!weights) return items[int(items.length)];
      if (weights.length !== items.length) throw new RangeError('choice(): one weight per item');
      const total = weights.reduce((s, w) => s + w, 0);
      let u = uniform() * total;
      for (let i = 0; i < items.length; i++) {
        u -= weights[i];
        if (u < 0) return items[i];
      }
      return items[items.length - 1];
    },
    sampleIndices(n: number, k: number): number[] {
      if (k > n || k < 0) throw new RangeError(`cannot draw ${k} distinct values from ${n}`);
      const pool = Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < k; i++) {
        const j = i + int(n - i);
        const t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
      }
      return pool.slice(0, k);
    },
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
