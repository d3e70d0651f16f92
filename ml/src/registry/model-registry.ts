/**
 * The on-disk, MLflow-like model registry the monolith and the extracted services share:
 *
 *   models/<name>/<version>/meta.json    ModelVersionMeta (stage, created_at, model card, …)
 *   models/<name>/<version>/model.json   the artifact (gbdt-classifier or isolation-forest JSON)
 *   models/<name>/<version>/model.onnx   optional, written beside it by the ONNX exporter
 *
 *   const registry = openRegistry(defaultModelsDir());
 *   const meta = await registry.resolveVersion('ai4i_classifier', 'auto');   // Production > Staging > newest
 *   const clf = await registry.loadClassifier('ai4i_classifier', 'auto');
 *
 * Reading is cheap and picks up changes without restart: a name's version list is re-validated at
 * most every `refreshMs` (default 1 s) by listing its folder and stat-ing each `meta.json`; only
 * when that signature changed are the metas re-read, and the name's loaded models dropped. Loaded
 * models are cached by name and version. Nothing here holds a timer or a handle, so there is
 * nothing to close.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '@smp/platform';
import { createGbdtClassifier } from '../classifier/gbdt-classifier.js';
import type { GbdtArtifact } from '../classifier/tree-ensemble.js';
import { compileIsolationForest, type IsolationForestArtifact } from '../anomaly/isolation-forest.js';
import type { AnomalyModel, Classifier, ModelRegistry, ModelVersionMeta, RegisteredModel } from '../contract.js';
import { isValidArtifactFile, isValidModelName, isValidVersion, resolveAuto, sortNewestFirst } from './version-order.js';

/** `kind` of classifier versions in meta.json. */
export const GBDT_KIND = 'gbdt-classifier';
/** `kind` of isolation forest versions in meta.json. */
export const IFOREST_KIND = 'isolation-forest';

export interface RegistryOptions {
  /** How long a name's version list is trusted before the disk is checked again (ms, default 1000; 0 = every call). */
  refreshMs?: number;
  /** Clock for the refresh interval (default `Date.now`). */
  now?: () => number;
}

interface NameEntry {
  checkedAt: number;
  signature: string;
  versions: ModelVersionMeta[];
}

/** Open the registry at `dir` (which need not exist yet: it then lists no models). */
export function openRegistry(dir: string, options: RegistryOptions = {}): ModelRegistry {
  const refreshMs = options.refreshMs ?? 1000;
  const now = options.now ?? Date.now;
  const names = new Map<string, NameEntry>();
  const loaded = new Map<string, Promise<Classifier | AnomalyModel>>();

  const dropLoaded = (name: string): void => {
    for (const key of loaded.keys()) if (key.startsWith(`${name}@`)) loaded.delete(key);
  };

  const listVersions = async (name: string): Promise<ModelVersionMeta[] | undefined> => {
    if (!isValidModelName(name)) return undefined;
    const cached = names.get(name);
    const t = now();
    if (cached && t - cached.checkedAt < refreshMs) return cached.versions;

    const nameDir = path.join(dir, name);
    let entries: string[];
    try {
      entries = (await readdir(nameDir, { withFileTypes: true })).filter((e) => e.isDirectory() && isValidVersion(e.name)).map((e) => e.name);
    } catch (err) {
      if (isMissing(err)) {
        if (cached) dropLoaded(name);
        names.delete(name);
        return undefined;
      }
      throw err;
    }
    const stamps = await Promise.all(
      entries.map(async (v) => {
        try {
          const s = await stat(path.join(nameDir, v, 'meta.json'));
          return `${v}:${s.mtimeMs}:${s.size}`;
        } catch (err) {
          if (isMissing(err)) return undefined;
          throw err;
        }
      }),
    );
    const signature = stamps.filter((s) => s !== undefined).sort().join('|');
    if (cached && cached.signature === signature) {
      cached.checkedAt = t;
      return cached.versions;
    }
    const metas = await Promise.all(
      entries.map(async (v) => {
        try {
          return parseMeta(await readFile(path.join(nameDir, v, 'meta.json'), 'utf8'), name, v);
        } catch (err) {
          // A folder without a readable meta.json is not a version (yet); skip it rather than fail the name.
          if (isMissing(err) || err instanceof SyntaxError || err instanceof TypeError) return undefined;
          throw err;
        }
      }),
    );
    const versions = sortNewestFirst(metas.filter((m): m is ModelVersionMeta => m !== undefined));
    if (versions.length === 0) {
      names.delete(name);
      dropLoaded(name);
      return undefined;
    }
    names.set(name, { checkedAt: t, signature, versions });
    dropLoaded(name);
    return versions;
  };

  const resolveVersion = async (name: string, version: string): Promise<ModelVersionMeta | undefined> => {
    const versions = await listVersions(name);
    if (!versions) return undefined;
    return version === 'auto' ? resolveAuto(versions) : versions.find((v) => v.version === version);
  };

  const load = async <T extends Classifier | AnomalyModel>(name: string, version: string, kind: string, build: (meta: ModelVersionMeta, artifact: unknown) => T): Promise<T> => {
    const meta = await resolveVersion(name, version);
    if (!meta) throw new AppError('NOT_FOUND', `Model '${name}' version '${version}' not found in MLflow Registry`);
    if (meta.kind !== kind) throw new AppError('BAD_REQUEST', `Model '${name}' version '${meta.version}' is a ${meta.kind}, not a ${kind}`);
    const key = `${name}@${meta.version}`;
    let pending = loaded.get(key);
    if (!pending) {
      pending = readFile(path.join(dir, name, meta.version, 'model.json'), 'utf8').then((text) => build(meta, JSON.parse(text)));
      loaded.set(key, pending);
      // A failed load is not cached: the next call reads the disk again.
      pending.catch(() => loaded.get(key) === pending && loaded.delete(key));
    }
    return pending as Promise<T>;
  };

  return {
    dir,
    listVersions,
    resolveVersion,
    async listModels(): Promise<RegisteredModel[]> {
      let entries: string[];
      try {
        entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && isValidModelName(e.name)).map((e) => e.name);
      } catch (err) {
        if (isMissing(err)) return [];
        throw err;
      }
      const models: RegisteredModel[] = [];
      for (const name of entries.sort()) {
        const versions = await listVersions(name);
        if (versions) models.push({ name, description: versions[0].description, versions });
      }
      return models;
    },
    loadClassifier: (name, version) => load<Classifier>(name, version, GBDT_KIND, (meta, artifact) => createGbdtClassifier(name, meta.version, artifact as GbdtArtifact)),
    loadAnomalyModel: (name, version) =>
      load<AnomalyModel>(name, version, IFOREST_KIND, (meta, artifact) => {
        const forest = compileIsolationForest(artifact as IsolationForestArtifact);
        return { name, version: meta.version, featureNames: forest.featureNames, score: forest.score, isOutlier: forest.isOutlier };
      }),
    artifactPath(name, version, file) {
      if (!isValidModelName(name) || !isValidVersion(version) || !isValidArtifactFile(file)) {
        throw new RangeError(`invalid artifact path segment in ${JSON.stringify([name, version, file])}`);
      }
      return path.join(dir, name, version, file);
    },
  };
}

function parseMeta(text: string, name: string, version: string): ModelVersionMeta {
  const meta = JSON.parse(text) as ModelVersionMeta;
  if (meta === null || typeof meta !== 'object' || meta.name !== name || meta.version !== version || typeof meta.kind !== 'string' || !Array.isArray(meta.feature_names)) {
    throw new TypeError(`meta.json of ${name}/${version} does not describe ${name} version ${version}`);
  }
  return deepFreeze(meta);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
