/**
 * `npm run export:onnx`: write `model.onnx` beside every registered version's artifact in
 * MODEL_REGISTRY_DIR (default: the repository's models/). Deterministic: an unchanged model is
 * reported `unchanged` and not rewritten. Versions that are not tree classifiers (the isolation
 * forest) are skipped with the reason. Exit code 1 when any version failed, else 0.
 *
 *   $ npm run export:onnx
 *   written    ai4i_classifier v1  models/ai4i_classifier/1/model.onnx (91234 bytes)
 *   skipped    anomaly_detector_refined_v2 v1  isolation-forest is not a tree classifier
 */
import path from 'node:path';
import { ConfigError } from '@smp/platform';
import { openRegistry } from '@smp/ml/registry/model-registry';
import { exportConfigFromProcess } from '../config.js';
import { exportRegistryOnnx, type ExportOutcome } from '../onnx/registry-export.js';

/** One line per version, for people. */
export function describeOutcome(o: ExportOutcome, cwd: string): string {
  const where = o.path ? path.relative(cwd, o.path) : '';
  const detail =
    o.status === 'written' || o.status === 'unchanged' ? `${where} (${o.bytes} bytes)` : o.status === 'failed' ? `${where}: ${o.reason}` : (o.reason ?? '');
  return `${o.status.padEnd(10)} ${o.name} v${o.version}  ${detail}`;
}

async function main(): Promise<number> {
  let dir: string;
  try {
    dir = exportConfigFromProcess().MODEL_REGISTRY_DIR;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`export-onnx: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const outcomes = await exportRegistryOnnx(openRegistry(dir, { refreshMs: 0 }));
  if (outcomes.length === 0) console.log(`no model versions in ${dir} (run \`npm run train\` first)`);
  for (const o of outcomes) console.log(describeOutcome(o, process.cwd()));
  return outcomes.some((o) => o.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    console.error(`export-onnx failed: ${err.stack ?? err.message}`);
    process.exitCode = 1;
  },
);
