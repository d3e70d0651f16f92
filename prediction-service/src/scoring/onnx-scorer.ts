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
 *
 * Micro-batching: the vectors scored on the same session during one turn of the event loop (the
 * requests read from the sockets in one poll) go to onnxruntime as one batch (one `session.run`
 * of N rows instead of N runs), and their TreeSHAP values are computed back to back, so the trees
 * and tables are still in the CPU caches for all but the first. Rows of a batch are scored
 * independently (a tree ensemble has no cross-row state): each gets exactly what a batch of one
 * gives. A batch is handed to onnxruntime in the check phase right after the poll that filled it
 * (onnxruntime-node then runs it on its next check phase, as it runs every call); a failed
 * `session.run` fails the requests of that batch, a failed SHAP only its own request.
 */
import type { Classifier, ModelRegistry, ModelVersionMeta } from '@smp/ml/contract';
import type { PredictScore, PredictScorer } from '@smp/ml/service/predict';
import type { OnnxClassifier } from '../onnx/onnx-classifier.js';
import type { OnnxModelStore } from './onnx-model-store.js';

/** Most rows in one `session.run`; more waiting vectors start another batch in the same flush. */
export const MAX_BATCH_ROWS = 64;

interface Pending {
  vector: readonly number[];
  explain: boolean;
  resolve: (score: PredictScore) => void;
  reject: (err: unknown) => void;
}

interface Batch {
  model: OnnxClassifier;
  meta: ModelVersionMeta;
  items: Pending[];
}

export function onnxScorer(deps: { store: OnnxModelStore; registry: Pick<ModelRegistry, 'loadClassifier'> }): PredictScorer {
  /** Open batches by session; flushed together on the next check phase. */
  const open = new Map<OnnxClassifier, Batch>();
  let scheduled = false;

  const runBatch = async ({ model, meta, items }: Batch): Promise<void> => {
    const n = items.length;
    const width = model.featureCount;
    const rows = new Float32Array(n * width);
    for (let i = 0; i < n; i++) rows.set(items[i].vector, i * width);
    let scores: Awaited<ReturnType<OnnxClassifier['run']>>;
    try {
      scores = await model.run(rows, n);
    } catch (err) {
      for (const item of items) item.reject(err);
      return;
    }
    let explainer: Classifier | undefined;
    let loadError: unknown;
    if (items.some((item) => item.explain)) {
      try {
        explainer = await deps.registry.loadClassifier(meta.name, meta.version);
      } catch (err) {
        loadError = err;
      }
    }
    for (let i = 0; i < n; i++) {
      const item = items[i];
      const label = scores.labels[i] === 1 ? 1 : 0;
      const p1 = scores.probabilities[i];
      const confidence = label === 1 ? p1 : 1 - p1;
      if (!item.explain) {
        item.resolve({ label, confidence, shap: null });
        continue;
      }
      if (!explainer) {
        item.reject(loadError);
        continue;
      }
      try {
        item.resolve({ label, confidence, shap: explainer.shap(item.vector) });
      } catch (err) {
        item.reject(err);
      }
    }
  };

  const flush = (): void => {
    scheduled = false;
    const batches = [...open.values()];
    open.clear();
    for (const batch of batches) {
      for (let at = 0; at < batch.items.length; at += MAX_BATCH_ROWS) {
        void runBatch({ ...batch, items: batch.items.slice(at, at + MAX_BATCH_ROWS) });
      }
    }
  };

  const enqueue = (model: OnnxClassifier, meta: ModelVersionMeta, vector: readonly number[], explain: boolean): Promise<PredictScore> =>
    new Promise<PredictScore>((resolve, reject) => {
      let batch = open.get(model);
      if (!batch) {
        batch = { model, meta, items: [] };
        open.set(model, batch);
      }
      batch.items.push({ vector, explain, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });

  return {
    async score(meta, vector, wantShap) {
      const model = deps.store.loaded(meta) ?? (await deps.store.classifier(meta));
      if (vector.length !== model.featureCount) {
        // Not batchable: the session refuses it with its own message, for this request only.
        await model.run(Float32Array.from(vector), 1);
        throw new Error(`expected 1 × ${model.featureCount} values, got ${vector.length}`);
      }
      return enqueue(model, meta, vector, wantShap);
    },
  };
}
