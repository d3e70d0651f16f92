/**
 * The registry's pure rules: which names are safe path segments, how versions sort, and what
 * `auto` means (newest version in Production, else newest in Staging, else newest of all, as the
 * legacy API resolved MLflow versions).
 *
 *   resolveAuto([{version:'1', stage:'Staging'}, {version:'2', stage:'None'}])   // version '1'
 */
import type { ModelVersionMeta } from '../contract.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const VERSION = /^[1-9][0-9]{0,8}$/;

/** A model name usable as a directory name (no separators, no leading dot). */
export function isValidModelName(name: string): boolean {
  return NAME.test(name) && !name.includes('..');
}

/** A version string as MLflow writes them: a positive integer without leading zeros. */
export function isValidVersion(version: string): boolean {
  return VERSION.test(version);
}

/** A file name stored beside an artifact (`model.onnx`): one path segment. */
export function isValidArtifactFile(file: string): boolean {
  return NAME.test(file) && !file.includes('..');
}

/** Versions newest first (by number). */
export function sortNewestFirst<T extends Pick<ModelVersionMeta, 'version'>>(versions: readonly T[]): T[] {
  return [...versions].sort((a, b) => Number(b.version) - Number(a.version));
}

/** `auto`: newest Production, else newest Staging, else newest; undefined for no versions. */
export function resolveAuto<T extends Pick<ModelVersionMeta, 'version' | 'stage'>>(versions: readonly T[]): T | undefined {
  const sorted = sortNewestFirst(versions);
  return sorted.find((v) => v.stage === 'Production') ?? sorted.find((v) => v.stage === 'Staging') ?? sorted[0];
}
