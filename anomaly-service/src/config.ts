/**
 * anomaly-service configuration: parsed once from the environment, validated, frozen.
 *
 * DATABASE_URL is required (the readings and alerts live in the monolith's database). Point
 * REDIS_URL and REDIS_KEY_PREFIX at the monolith's, so the check_drift limit is one budget per
 * client whichever of the two answers; the auth variables should match the monolith's too.
 */
import { modelRegistryDirEnv } from '@smp/ml';
import { authEnv, bool, commonEnv, int, loadConfig, port, storageEnv, url, z, type Env } from '@smp/platform';

export const configSchema = z.object({
  ...commonEnv,
  ...storageEnv,
  ...authEnv,
  PORT: port(8002),
  DATABASE_URL: url(['postgres:', 'postgresql:']),
  /** PostgreSQL connections in the pool. */
  DATABASE_POOL_SIZE: int(10, 1, 100),
  /** The on-disk model registry shared with the monolith (the isolation forest lives there; default: the repository's `models/`). */
  MODEL_REGISTRY_DIR: modelRegistryDirEnv(),
  /** true: /health answers 503 (the same object under `detail`) when a dependency fails, as the monolith's. */
  HEALTHCHECK_ENFORCE_DEPENDENCIES: bool(false),
  /** Express `trust proxy` (as the monolith's): which peers' X-Forwarded-For names the client the rate limit keys on. */
  TRUST_PROXY: z.string().trim().default('loopback, linklocal, uniquelocal'),
});

export type Config = Readonly<z.output<typeof configSchema>>;

export function parseConfig(env: Env): Config {
  return loadConfig(configSchema, env);
}
