/**
 * legacy-monolith configuration: parsed once from the environment, validated, frozen.
 *
 * DATABASE_URL is required: every data route (ingest, readings, decisions, reports, drift,
 * simulations) reads or writes PostgreSQL, so the monolith refuses to start without one rather
 * than serve half an API.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { authEnv, bool, commonEnv, int, loadConfig, port, storageEnv, url, z, type Env } from '@smp/platform';

/** The repository's `models/` (from legacy-monolith/dist/src/config.js). */
export const DEFAULT_MODEL_REGISTRY_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../models');

export const configSchema = z.object({
  ...commonEnv,
  ...storageEnv,
  ...authEnv,
  PORT: port(8010),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  /** true: /health answers 503 (with the same object under `detail`) when PostgreSQL or Redis fails. */
  HEALTHCHECK_ENFORCE_DEPENDENCIES: bool(false),
  /** The on-disk model registry shared with the extracted services. */
  MODEL_REGISTRY_DIR: z
    .string()
    .trim()
    .transform((s) => (s === '' ? DEFAULT_MODEL_REGISTRY_DIR : path.resolve(s)))
    .default(DEFAULT_MODEL_REGISTRY_DIR),
  /** Express `trust proxy`: peers whose X-Forwarded-For names the client (rate limits key on it). */
  TRUST_PROXY: z.string().trim().default('loopback, linklocal, uniquelocal'),
  /** PostgreSQL connections in the pool. */
  DATABASE_POOL_SIZE: int(10, 1, 100),
});

export type Config = Readonly<z.output<typeof configSchema>>;

export function parseConfig(env: Env): Config {
  return loadConfig(configSchema, env);
}
