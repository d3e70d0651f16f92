/**
 * Where the registry lives by default: `models/` at the repository root, found from this module's
 * own location (ml/dist/src/registry/ -> four levels up), so no environment variable is needed
 * to run from a checkout. Services that deploy elsewhere pass their own directory.
 *
 *   defaultModelsDir()   // '/work/main/models'
 */
import { fileURLToPath } from 'node:url';

/** Absolute path of `<repo>/models`. */
export function defaultModelsDir(): string {
  return fileURLToPath(new URL('../../../../models', import.meta.url));
}
