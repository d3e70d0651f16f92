/**
 * Writing a version into the on-disk registry, atomically: the files are written into a hidden
 * temporary folder beside the target and renamed into place, so a reader scanning the registry
 * sees either no version or a complete one, never a half-written `model.json`.
 *
 *   models/ai4i_classifier/2/meta.json    ModelVersionMeta, pretty-printed
 *   models/ai4i_classifier/2/model.json   the artifact, compact
 *
 *   await registerVersion(defaultModelsDir(), meta, artifact, { replace: true });
 *
 * `replace` swaps an existing version folder for the new one (two renames, then the old folder is
 * removed); files others stored beside the old artifact (a `model.onnx`) go with it, because they
 * were derived from the artifact being replaced. When the existing `meta.json` and `model.json`
 * are byte-identical to the new ones the folder is left alone, derived files included, so an
 * unchanged retrain touches nothing.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ModelVersionMeta } from '../contract.js';
import { isValidModelName, isValidVersion } from './version-order.js';

export interface RegisterOptions {
  /** Replace an existing folder for the same name and version (default: refuse). */
  replace?: boolean;
}

/** Write `meta` and `artifact` as a new version; resolves to the version's folder. */
export async function registerVersion(dir: string, meta: ModelVersionMeta, artifact: unknown, options: RegisterOptions = {}): Promise<string> {
  if (!isValidModelName(meta.name)) throw new RangeError(`invalid model name ${JSON.stringify(meta.name)}`);
  if (!isValidVersion(meta.version)) throw new RangeError(`invalid version ${JSON.stringify(meta.version)}: a positive integer string`);
  const nameDir = path.join(dir, meta.name);
  const target = path.join(nameDir, meta.version);
  const modelText = `${JSON.stringify(artifact)}\n`;
  const metaText = `${JSON.stringify(meta, null, 2)}\n`;
  if (options.replace && (await sameContent(path.join(target, 'model.json'), modelText)) && (await sameContent(path.join(target, 'meta.json'), metaText))) {
    return target;
  }
  await mkdir(nameDir, { recursive: true });
  const tmp = path.join(nameDir, `.tmp-${meta.version}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    await writeFile(path.join(tmp, 'model.json'), modelText);
    await writeFile(path.join(tmp, 'meta.json'), metaText);
    try {
      await rename(tmp, target);
      return target;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
      if (!options.replace) throw new Error(`model ${meta.name} version ${meta.version} already exists in ${dir}`);
    }
    const old = path.join(nameDir, `.old-${meta.version}-${process.pid}-${randomBytes(4).toString('hex')}`);
    await rename(target, old);
    await rename(tmp, target);
    await rm(old, { recursive: true, force: true });
    return target;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function sameContent(file: string, text: string): Promise<boolean> {
  try {
    return (await readFile(file, 'utf8')) === text;
  } catch {
    return false;
  }
}
