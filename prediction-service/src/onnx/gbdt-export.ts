/**
 * The registry's gradient-boosted classifier (`model.json`, format `smp-gbdt-v1`) as ONNX bytes.
 * Thresholds, leaf values and the base score are passed through `Math.fround`, as the TypeScript
 * classifier compiles them, so the ONNX graph holds exactly the numbers the monolith compares with:
 *
 *   const bytes = exportGbdtOnnx('ai4i_classifier', '2', artifact);   // deterministic
 */
import type { GbdtArtifact } from '@smp/ml/classifier/tree-ensemble';
import { encodeTreeEnsembleClassifier, type TreeEnsembleSpec, type TreeNodeSpec } from './tree-ensemble.js';

/** The artifact's trees in the exporter's form; throws when the arrays disagree in length. */
export function gbdtTreeEnsembleSpec(artifact: GbdtArtifact): TreeEnsembleSpec {
  if (artifact.format !== 'smp-gbdt-v1') throw new Error(`unsupported gbdt format ${String(artifact.format)}`);
  if (artifact.objective !== 'binary:logistic') throw new Error(`unsupported objective ${String(artifact.objective)}`);
  const trees = artifact.trees.map((tree, t): TreeNodeSpec[] => {
    const size = tree.feature.length;
    for (const key of ['threshold', 'left', 'right', 'value'] as const) {
      if (tree[key].length !== size) throw new Error(`tree ${t}: ${key} has ${tree[key].length} entries, feature has ${size}`);
    }
    return tree.feature.map((feature, i) =>
      feature < 0
        ? { feature: -1, threshold: 0, left: -1, right: -1, value: Math.fround(tree.value[i]) }
        : { feature, threshold: Math.fround(tree.threshold[i]), left: tree.left[i], right: tree.right[i], value: 0 },
    );
  });
  return { featureCount: artifact.feature_names.length, baseLogOdds: Math.fround(artifact.base_score), trees };
}

/** Serialise a registered version's artifact as an ONNX TreeEnsembleClassifier model. */
export function exportGbdtOnnx(name: string, version: string, artifact: GbdtArtifact): Uint8Array {
  return encodeTreeEnsembleClassifier(gbdtTreeEnsembleSpec(artifact), { name, version, featureNames: artifact.feature_names });
}
