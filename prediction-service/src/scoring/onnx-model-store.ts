/**
 * ONNX sessions per registered (name, version), loaded from `models/<name>/<version>/model.onnx`.
 * A session is kept while its version stays the same registration: a version registered later is a
 * new key, loaded on its first request (no restart, no polling), and a version folder replaced in
 * place (re-training with `replace`, which gives it a new `created_at`) gets a fresh session while
 * the old one is released a little later (requests still running on it finish first).
 *
 * When a version has no `model.onnx` yet (registered after the last `npm run export:onnx`), the
 * store exports it from the version's `model.json` on the spot and writes it into the registry
 * (atomically), so the next process finds it; if the registry is read-only the exported bytes are
 * used from memory and a warning is logged. Concurrent first requests share one load; a failed
 * load is forgotten, so the next request tries again.
 *
 *   const store = createOnnxModelStore({ registry, logger });
 *   const model = await store.classifier(meta);       // OnnxClassifier
 */
import fs from 'node:fs/promises';
import type { Logger } from '@smp/platform';
import type { ModelRegistry, ModelVersionMeta } from '@smp/ml/contract';
import { loadOnnxClassifier, type OnnxClassifier } from '../onnx/onnx-classifier.js';
import { ONNX_FILE, onnxBytesFor, writeFileAtomic } from '../onnx/registry-export.js';

/** Where a session's model came from: the registry's file, or exported on first use. */
export type OnnxSource = 'file' | 'exported' | 'exported-in-memory';

/** How long a replaced session stays alive for requests already holding it. */
export const RETIRE_AFTER_MS = 10_000;

export interface OnnxModelStoreOptions {
  registry: Pick<ModelRegistry, 'loadClassifier' | 'artifactPath'>;
  logger: Logger;
  /** Told about every session loaded (for metrics). */
  onLoad?: (meta: ModelVersionMeta, source: OnnxSource) => void;
}

/** Sessions by name and version; `close()` releases every native session. */
export interface OnnxModelStore {
  classifier(meta: ModelVersionMeta): Promise<OnnxClassifier>;
  /** The session `classifier(meta)` would give when it is loaded already, else undefined (no load started). */
  loaded(meta: ModelVersionMeta): OnnxClassifier | undefined;
  /** Versions with a live (or loading) session. */
  readonly size: number;
  close(): Promise<void>;
}

export function createOnnxModelStore(options: OnnxModelStoreOptions): OnnxModelStore {
  const { registry, logger } = options;
  const sessions = new Map<string, { createdAt: string; session: Promise<OnnxClassifier>; ready?: OnnxClassifier }>();
  let closed = false;

  const readOrExport = async (meta: ModelVersionMeta): Promise<{ bytes: Uint8Array; source: OnnxSource }> => {
    const file = registry.artifactPath(meta.name, meta.version, ONNX_FILE);
    try {
      return { bytes: await fs.readFile(file), source: 'file' };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const bytes = await onnxBytesFor(registry, meta);
    try {
      await writeFileAtomic(file, bytes);
      logger.info('exported missing ONNX model into the registry', { model_name: meta.name, model_version: meta.version, path: file });
      return { bytes, source: 'exported' };
    } catch (err) {
      logger.warn('could not write the exported ONNX model, serving it from memory', {
        model_name: meta.name,
        model_version: meta.version,
        path: file,
        error: (err as Error).message,
      });
      return { bytes, source: 'exported-in-memory' };
    }
  };

  const load = async (meta: ModelVersionMeta): Promise<OnnxClassifier> => {
    const { bytes, source } = await readOrExport(meta);
    const model = await loadOnnxClassifier(bytes, meta.feature_names.length);
    options.onLoad?.(meta, source);
    logger.info('ONNX session loaded', { model_name: meta.name, model_version: meta.version, source, bytes: bytes.length });
    return model;
  };

  const release = async (session: Promise<OnnxClassifier>): Promise<void> => {
    try {
      await (await session).close();
    } catch {
      // A session that failed to load has nothing to release.
    }
  };

  const retiring = new Map<NodeJS.Timeout, Promise<OnnxClassifier>>();
  const retire = (session: Promise<OnnxClassifier>): void => {
    const timer = setTimeout(() => {
      retiring.delete(timer);
      void release(session);
    }, RETIRE_AFTER_MS);
    timer.unref();
    retiring.set(timer, session);
  };

  return {
    classifier(meta) {
      if (closed) return Promise.reject(new Error('the ONNX model store is closed'));
      const key = `${meta.name}\u0000${meta.version}`;
      const entry = sessions.get(key);
      if (entry && entry.createdAt === meta.created_at) return entry.session;
      if (entry) retire(entry.session);
      const session = load(meta);
      const created = { createdAt: meta.created_at, session, ready: undefined as OnnxClassifier | undefined };
      sessions.set(key, created);
      session.then(
        (model) => (created.ready = model),
        () => sessions.get(key)?.session === session && sessions.delete(key),
      );
      return session;
    },
    loaded(meta) {
      if (closed) return undefined;
      const entry = sessions.get(`${meta.name}\u0000${meta.version}`);
      return entry && entry.createdAt === meta.created_at ? entry.ready : undefined;
    },
    get size() {
      return sessions.size;
    },
    async close() {
      closed = true;
      const pending = [...sessions.values()].map((e) => e.session);
      sessions.clear();
      for (const [timer, session] of retiring) {
        clearTimeout(timer);
        pending.push(session);
      }
      retiring.clear();
      await Promise.all(pending.map(release));
    },
  };
}
