/**
 * Feature vectors for parity runs: realistic AI4I rows from the ml generator, plus extremes that
 * stress the float32 rule (inputs exactly on a split threshold and one float32 step above it,
 * zeros, negatives, values near the float32 range limit):
 *
 *   parityVectors(artifact, { realistic: 8000, extreme: 2000, seed: 4242 })   // 10,000 vectors of 6
 */
import type { GbdtArtifact } from '@smp/ml/classifier/tree-ensemble';
import { ai4iRowFeatures, generateAi4i } from '@smp/ml/simulation/ai4i';
import { createRandom } from '@smp/ml/random/prng';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The next float32 above a positive or negative finite float32 `v`. */
function nextFloat32Up(v: number): number {
  f32[0] = v;
  if (v === 0) return 2 ** -149;
  u32[0] += v > 0 ? 1 : -1;
  return f32[0];
}

export function parityVectors(artifact: GbdtArtifact, counts: { realistic: number; extreme: number; seed: number }): number[][] {
  const vectors = generateAi4i({ rows: counts.realistic, seed: counts.seed }).map(ai4iRowFeatures);
  const d = artifact.feature_names.length;
  const thresholds: number[][] = Array.from({ length: d }, () => []);
  for (const tree of artifact.trees) tree.feature.forEach((f, i) => f >= 0 && thresholds[f].push(Math.fround(tree.threshold[i])));
  const rng = createRandom(counts.seed + 1);
  const base = vectors.length ? vectors : [[300, 310, 1500, 40, 100, 1]];
  for (let n = 0; n < counts.extreme; n++) {
    const v = [...base[rng.int(base.length)]];
    for (let f = 0; f < d; f++) {
      const r = rng.uniform();
      const t = thresholds[f].length ? thresholds[f][rng.int(thresholds[f].length)] : v[f];
      if (r < 0.3) v[f] = t;
      else if (r < 0.45) v[f] = nextFloat32Up(t);
      else if (r < 0.5) v[f] = 0;
      else if (r < 0.55) v[f] = -rng.between(0, 1e4);
      else if (r < 0.58) v[f] = (rng.uniform() < 0.5 ? -1 : 1) * 3e38;
      else if (r < 0.7) v[f] = rng.between(-1e5, 1e5);
      // else: keep the realistic value
    }
    vectors.push(v);
  }
  return vectors;
}
