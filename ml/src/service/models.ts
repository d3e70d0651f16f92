/**
 * The model-registry routes as operations, answering as the legacy MLflow-backed API did
 * (timestamps are MLflow's epoch milliseconds, `status` is always "READY" for a stored version):
 *
 *   await listModelsOperation({ registry })
 *   // { models: [{ name: 'ai4i_classifier', latest_version: '2', current_stage: 'Production', … }], count: 2 }
 *   await modelVersionsOperation('nope', { registry })   // throws 404 "Model 'nope' not found"
 */
import { AppError } from '@smp/platform';
import type { ModelRegistry, ModelVersionMeta } from '../contract.js';

export interface ModelsDeps {
  registry: Pick<ModelRegistry, 'listModels' | 'listVersions' | 'resolveVersion'>;
}

export interface ModelSummary {
  name: string;
  description: string;
  latest_version: string | null;
  creation_timestamp: number | null;
  last_updated_timestamp: number | null;
  tags: Record<string, string>;
  current_stage: string | null;
}

export interface ModelVersionSummary {
  version: string;
  current_stage: string;
  status: string;
  creation_timestamp: number;
}

/** A stored version is complete by construction, so it is always READY in MLflow's terms. */
export const VERSION_STATUS = 'READY';

const millis = (iso: string) => Date.parse(iso);

/** `Model '<name>' not found` (404). */
export function modelNotFound(name: string): AppError {
  return new AppError('NOT_FOUND', `Model '${name}' not found`);
}

export async function listModelsOperation(deps: ModelsDeps): Promise<{ models: ModelSummary[]; count: number }> {
  const registered = await deps.registry.listModels();
  const models = registered.map((m): ModelSummary => {
    const newest: ModelVersionMeta | undefined = m.versions[0];
    const oldest: ModelVersionMeta | undefined = m.versions[m.versions.length - 1];
    const lastUpdated = m.versions.reduce<number | null>((acc, v) => Math.max(acc ?? 0, millis(v.last_updated_at)), null);
    return {
      name: m.name,
      description: m.description,
      latest_version: newest?.version ?? null,
      creation_timestamp: oldest ? millis(oldest.created_at) : null,
      last_updated_timestamp: lastUpdated,
      tags: newest?.tags ?? {},
      current_stage: newest?.stage ?? null,
    };
  });
  return { models, count: models.length };
}

export async function modelVersionsOperation(name: string, deps: ModelsDeps): Promise<{ model_name: string; versions: ModelVersionSummary[] }> {
  const versions = await deps.registry.listVersions(name);
  if (!versions) throw modelNotFound(name);
  return {
    model_name: name,
    versions: versions.map((v) => ({
      version: v.version,
      current_stage: v.stage,
      status: VERSION_STATUS,
      creation_timestamp: millis(v.created_at),
    })),
  };
}

export async function latestModelOperation(
  name: string,
  deps: ModelsDeps,
): Promise<{ model_name: string; resolved_version: string; current_stage: string; status: string }> {
  const meta = await deps.registry.resolveVersion(name, 'auto');
  if (!meta) throw modelNotFound(name);
  return { model_name: name, resolved_version: meta.version, current_stage: meta.stage, status: VERSION_STATUS };
}
