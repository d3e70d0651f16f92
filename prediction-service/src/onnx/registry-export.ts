/**
 * `model.onnx` beside each registered artifact (`models/<name>/<version>/model.onnx`). Exporting is
 * deterministic, so re-running it rewrites nothing that is already current:
 *
 *   await exportRegistryOnnx(registry)
 *   // [{ name: 'ai4i_classifier', version: '2', status: 'written', path: '…/model.onnx', bytes: 91234 },
 *   //  { name: 'anomaly_detector_refined_v2', version: '1', status: 'skipped', reason: 'isolation-forest is not a tree classifier' }]
 *
 * Files are written to a temporary name and renamed, so a service reading the registry at the same
 * moment never sees half a model.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Classifier, ModelRegistry, ModelVersionMeta } from '@smp/ml/contract';
import type { GbdtClassifier } from '@smp/ml/classifier/gbdt-classifier';
import { GBDT_KIND } from '@smp/ml/registry/model-registry';
import { exportGbdtOnnx } from './gbdt-export.js';

export const ONNX_FILE = 'model.onnx';

/** What happened to one version. */
export interface ExportOutcome {
  name: string;
  version: string;
  status: 'written' | 'unchanged' | 'skipped' | 'failed';
  path?: string;
  bytes?: number;
  reason?: string;
}

/** A loaded classifier that carries its tree artifact (the registry's gradient-boosted classifier). */
export function isGbdtClassifier(classifier: Classifier): classifier is GbdtClassifier {
  const artifact = (classifier as Partial<GbdtClassifier>).artifact;
  return typeof artifact === 'object' && artifact !== null && Array.isArray(artifact.trees);
}

/** The ONNX bytes of a registered version; throws when it is not a gradient-boosted classifier. */
export async function onnxBytesFor(registry: Pick<ModelRegistry, 'loadClassifier'>, meta: ModelVersionMeta): Promise<Uint8Array> {
  if (meta.kind !== GBDT_KIND) throw new Error(`${meta.kind} is not a tree classifier`);
  const classifier = await registry.loadClassifier(meta.name, meta.version);
  if (!isGbdtClassifier(classifier)) throw new Error(`${meta.name} v${meta.version} loaded without its tree artifact`);
  return exportGbdtOnnx(meta.name, meta.version, classifier.artifact);
}

/** Write `bytes` to `file` through a temporary sibling and a rename; returns false when the content was already there. */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<boolean> {
  try {
    const current = await fs.readFile(file);
    if (current.equals(bytes)) return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  return true;
}

/** Export one version beside its artifact. */
export async function exportVersionOnnx(registry: Pick<ModelRegistry, 'loadClassifier' | 'artifactPath'>, meta: ModelVersionMeta): Promise<ExportOutcome> {
  const base = { name: meta.name, version: meta.version };
  if (meta.kind !== GBDT_KIND) return { ...base, status: 'skipped', reason: `${meta.kind} is not a tree classifier` };
  const file = registry.artifactPath(meta.name, meta.version, ONNX_FILE);
  try {
    const bytes = await onnxBytesFor(registry, meta);
    const written = await writeFileAtomic(file, bytes);
    return { ...base, status: written ? 'written' : 'unchanged', path: file, bytes: bytes.length };
  } catch (err) {
    return { ...base, status: 'failed', path: file, reason: (err as Error).message };
  }
}

/** Export every version of every registered model; one bad version does not stop the others. */
export async function exportRegistryOnnx(registry: Pick<ModelRegistry, 'listModels' | 'loadClassifier' | 'artifactPath'>): Promise<ExportOutcome[]> {
  const outcomes: ExportOutcome[] = [];
  for (const model of await registry.listModels()) {
    for (const meta of model.versions) outcomes.push(await exportVersionOnnx(registry, meta));
  }
  return outcomes;
}
