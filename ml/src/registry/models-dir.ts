/**
 * Where the registry lives by default: `models/` at the repository root, found from this module's
 * own location (ml/dist/src/registry/ -> four levels up), so no environment variable is needed
 * to run from a checkout. Services that deploy elsewhere pass their own directory.
 *
 *   defaultModelsDir()   // '/work/main/models'
 *   z.object({ MODEL_REGISTRY_DIR: modelRegistryDirEnv() })   // a service's config field
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from '@smp/platform';

/** Absolute path of `<repo>/models`. */
export function defaultModelsDir(): string {
  return fileURLToPath(new URL('../../../../models', import.meta.url));
}

/**
 * The `MODEL_REGISTRY_DIR` field of a service's config schema: a directory (relative paths resolve
 * against the working directory), unset or empty meaning `defaultModelsDir()`.
 */
export function modelRegistryDirEnv() {
  return z
    .string()
    .trim()
    .transform((s) => (s === '' ? defaultModelsDir() : path.resolve(s)))
    .default('');
}
