/**
 * `npm run train`: trains every registered model from its recipe (training/model-recipes.ts) and
 * writes it into the registry, replacing the same versions, then prints the held-out metrics.
 * Deterministic: a second run rewrites byte-identical files.
 *
 *   npm run train                                  # into <repo>/models
 *   node ml/dist/src/cli/train.js --models-dir /tmp/models
 */
import { registerVersion } from '../registry/register-version.js';
import { defaultModelsDir } from '../registry/models-dir.js';
import { AI4I_VERSIONS, ai4iClassifierRecipe, anomalyDetectorRecipe, type RecipeResult } from '../training/model-recipes.js';

async function main(argv: readonly string[]): Promise<void> {
  const at = argv.indexOf('--models-dir');
  const dir = at >= 0 && argv[at + 1] ? argv[at + 1] : defaultModelsDir();
  const clock = (): number => performance.now();
  const results: RecipeResult<unknown>[] = [];
  for (const spec of AI4I_VERSIONS) results.push(ai4iClassifierRecipe(spec, clock));
  results.push(anomalyDetectorRecipe(clock));
  for (const r of results) await registerVersion(dir, r.meta, r.artifact, { replace: true });

  console.log(`registry: ${dir}`);
  for (const r of results) {
    console.log(`\n${r.meta.name} v${r.meta.version} (${r.meta.stage}), trained in ${(r.trainMs / 1000).toFixed(2)} s`);
    for (const [k, v] of Object.entries(r.metrics)) console.log(`  ${k.padEnd(34)} ${v.toFixed(4)}`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
