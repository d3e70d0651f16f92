/**
 * Micro-benchmark of the ML hot paths, per call, in one process (run once; the machine may be
 * shared, so read the figures as upper bounds):
 *
 *   npx tsc -b ml && node ml/dist/bench/ml-bench.js
 *
 * - ai4i_classifier v2 (150 trees, depth 5): predict, and predict + exact TreeSHAP, as `predict`
 *   with explain=true does (the classifier's table TreeSHAP, and the path-walking reference), plus
 *   the one-off cost of building the tables;
 * - anomaly_detector_refined_v2: feature building + score for one reading;
 * - ks2samp on 300 vs 300 and 5,000 vs 5,000 (exact) and 20,000 vs 20,000 (asymptotic).
 */
import { anomalyFeatures } from '../src/anomaly/anomaly-features.js';
import { createFastTreeShap } from '../src/classifier/fast-tree-shap.js';
import type { GbdtClassifier } from '../src/classifier/gbdt-classifier.js';
import { createTreeShapExplainer } from '../src/classifier/tree-shap.js';
import { ks2samp } from '../src/drift/ks-2samp.js';
import { createRandom } from '../src/random/prng.js';
import { openRegistry } from '../src/registry/model-registry.js';
import { defaultModelsDir } from '../src/registry/models-dir.js';
import { ai4iRowFeatures, generateAi4i } from '../src/simulation/ai4i.js';

function measure(name: string, calls: number, fn: (i: number) => void): void {
  for (let i = 0; i < Math.min(calls, 500); i++) fn(i); // warm-up (JIT)
  const times = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    fn(i);
    times[i] = performance.now() - t0;
  }
  times.sort();
  const q = (p: number): string => (times[Math.min(calls - 1, Math.floor(p * calls))] * 1000).toFixed(1);
  const mean = (times.reduce((s, t) => s + t, 0) / calls) * 1000;
  console.log(`${name.padEnd(52)} ${String(calls).padStart(6)} calls  mean ${mean.toFixed(1).padStart(8)} µs  p50 ${q(0.5).padStart(8)}  p95 ${q(0.95).padStart(8)}  p99 ${q(0.99).padStart(8)} µs`);
}

async function main(): Promise<void> {
  const registry = openRegistry(defaultModelsDir());
  const clf = (await registry.loadClassifier('ai4i_classifier', 'auto')) as GbdtClassifier;
  const forest = await registry.loadAnomalyModel('anomaly_detector_refined_v2', 'auto');
  const rows = generateAi4i({ rows: 2000, seed: 77 }).map(ai4iRowFeatures);
  console.log(`ai4i_classifier v${clf.version}: ${clf.artifact.trees.length} trees, max depth ${clf.ensemble.maxDepth}`);
  let sink = 0;
  measure('predict', 20_000, (i) => (sink += clf.predict(rows[i % rows.length]).probability));
  const built = performance.now();
  createFastTreeShap(clf.ensemble);
  console.log(`table TreeSHAP: tables built in ${(performance.now() - built).toFixed(1)} ms (once per loaded version)`);
  measure('predict + shap (table TreeSHAP, the classifier\'s)', 20_000, (i) => {
    const x = rows[i % rows.length];
    sink += clf.predict(x).probability + clf.shap(x).Torque_Nm;
  });
  const reference = createTreeShapExplainer(clf.ensemble);
  measure('predict + shap (path-walking TreeSHAP, the reference)', 20_000, (i) => {
    const x = rows[i % rows.length];
    sink += clf.predict(x).probability + reference.shap(x)[3];
  });
  const rng = createRandom(5);
  const history = Array.from({ length: 12 }, () => ({ value: rng.normal(25, 1) }));
  measure('anomaly features + isolation forest score', 20_000, (i) => {
    const f = anomalyFeatures({ value: 25 + (i % 7) }, history);
    sink += forest.score(f.vector);
  });
  const sample = (n: number, loc: number): number[] => Array.from({ length: n }, () => Math.round(rng.normal(loc, 1) * 1000) / 1000);
  const [a300, b300, a5k, b5k, a20k, b20k] = [sample(300, 0), sample(300, 0.1), sample(5000, 0), sample(5000, 0.05), sample(20000, 0), sample(20000, 0.02)];
  measure('ks2samp 300 vs 300 (exact)', 500, () => (sink += ks2samp(a300, b300).pvalue));
  measure('ks2samp 5,000 vs 5,000 (exact)', 50, () => (sink += ks2samp(a5k, b5k).pvalue));
  measure('ks2samp 20,000 vs 20,000 (asymptotic)', 20, () => (sink += ks2samp(a20k, b20k).pvalue));
  if (Number.isNaN(sink)) console.log('unreachable');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
