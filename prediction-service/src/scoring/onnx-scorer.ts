/**
 * The predict operation's scorer on onnxruntime: the ONNX session decides `prediction` and
 * `confidence`; `shap_values` come from exact TreeSHAP over the same version's trees (the
 * registry's classifier, `Classifier.shap`: the ml library's table TreeSHAP, as in the monolith),
 * because SHAP is not part of an ONNX graph.
 *
 *   predictOperation(body, { registry, scorer: onnxScorer({ store, registry }), newId })
 *
 * The feature vector is rounded to float32 on its way into the tensor, which is the float32 rule
 * the TypeScript classifier applies before comparing, so both walk the same tree paths. The
 * registry caches loaded classifiers and drops them when a version is replaced, as the store does
 * with sessions, so SHAP and prediction always come from the same registration.
 */
import type { ModelRegistry } from '@smp/ml/contract';
import type { PredictScorer } from '@smp/ml/service/predict';
import type { OnnxModelStore } from './onnx-model-store.js';

export function onnxScorer(deps: { store: OnnxModelStore; registry: Pick<ModelRegistry, 'loadClassifier'> }): PredictScorer {
  return {
    async score(meta, vector, wantShap) {
      const model = await deps.store.classifier(meta);
      const { labels, probabilities } = await model.run(Float32Array.from(vector), 1);
      const label = labels[0] === 1 ? 1 : 0;
      const p1 = probabilities[0];
      const confidence = label === 1 ? p1 : 1 - p1;
      const shap = wantShap ? (await deps.registry.loadClassifier(meta.name, meta.version)).shap(vector) : null;
      return { label, confidence, shap };
    },
  };
}
