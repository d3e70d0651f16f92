/**
 * A binary classifier running on onnxruntime-node (CPU, one intra-op thread: the service scales by
 * processes, and one thread keeps a single small request from paying thread hand-off costs).
 *
 *   const model = await loadOnnxClassifier(bytes, 6);
 *   const { labels, probabilities } = await model.run(Float32Array.of(…6 values…), 1);
 *   // labels[0] ∈ {0, 1}; probabilities[0] = P(1) as float32
 *
 * A batch of N rows is one `session.run`; rows are laid out row-major in one Float32Array.
 */
import ort from 'onnxruntime-node';
import { INPUT_NAME, LABEL_OUTPUT, PROBABILITIES_OUTPUT } from './tree-ensemble.js';

/** Scores of one batch: `labels[i]` is 0/1, `probabilities[i]` is P(label = 1) for row i. */
export interface OnnxScores {
  labels: Uint8Array;
  probabilities: Float32Array;
}

/** A loaded ONNX classifier session; `close()` releases the native session. */
export interface OnnxClassifier {
  readonly featureCount: number;
  run(rows: Float32Array, count: number): Promise<OnnxScores>;
  close(): Promise<void>;
}

export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
};

/** Load a model exported by `encodeTreeEnsembleClassifier` (bytes or a file path). */
export async function loadOnnxClassifier(model: Uint8Array | string, featureCount: number): Promise<OnnxClassifier> {
  // Two overloads (path, bytes) that a union argument does not select between.
  const session =
    typeof model === 'string' ? await ort.InferenceSession.create(model, SESSION_OPTIONS) : await ort.InferenceSession.create(model, SESSION_OPTIONS);
  for (const name of [LABEL_OUTPUT, PROBABILITIES_OUTPUT]) {
    if (!session.outputNames.includes(name)) {
      await session.release();
      throw new Error(`ONNX model has no output '${name}' (outputs: ${session.outputNames.join(', ')})`);
    }
  }
  return {
    featureCount,
    async run(rows: Float32Array, count: number): Promise<OnnxScores> {
      if (rows.length !== count * featureCount) throw new Error(`expected ${count} × ${featureCount} values, got ${rows.length}`);
      const input = new ort.Tensor('float32', rows, [count, featureCount]);
      const out = await session.run({ [INPUT_NAME]: input });
      const label = out[LABEL_OUTPUT].data as BigInt64Array;
      const proba = out[PROBABILITIES_OUTPUT].data as Float32Array;
      const labels = new Uint8Array(count);
      const probabilities = new Float32Array(count);
      for (let i = 0; i < count; i++) {
        labels[i] = label[i] === 1n ? 1 : 0;
        probabilities[i] = proba[2 * i + 1];
      }
      return { labels, probabilities };
    },
    close: () => session.release(),
  };
}
