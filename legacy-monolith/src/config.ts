/**
 * legacy-monolith configuration: parsed once from the environment, validated, frozen.
 *
 * DATABASE_URL is required: every data route (ingest, readings, decisions, reports, drift,
 * simulations) reads or writes PostgreSQL, so the monolith refuses to start without one rather
 * than serve half an API.
 */
import { modelRegistryDirEnv } from '@smp/ml';
import { authEnv, bool, commonEnv, int, loadConfig, port, storageEnv, url, z, type Env } from '@smp/platform';

export const configSchema = z.object({
  ...commonEnv,
  ...storageEnv,
  ...authEnv,
  PORT: port(8010),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  /** true: /health answers 503 (with the same object under `detail`) when PostgreSQL or Redis fails. */
  HEALTHCHECK_ENFORCE_DEPENDENCIES: bool(false),
  /** The on-disk model registry shared with the extracted services (default: the repository's `models/`). */
  MODEL_REGISTRY_DIR: modelRegistryDirEnv(),
  /** Express `trust proxy`: peers whose X-Forwarded-For names the client (rate limits key on it). */
  TRUST_PROXY: z.string().trim().default('loopback, linklocal, uniquelocal'),
  /** PostgreSQL connections in the pool. */
  DATABASE_POOL_SIZE: int(10, 1, 100),
});

export type Config = Readonly<z.output<typeof configSchema>>;

export function parseConfig(env: Env): Config {
  return loadConfig(configSchema, env);
}
