/**
 * prediction-service configuration: parsed once from the environment, validated, frozen.
 *
 *   MODEL_REGISTRY_DIR   the on-disk model registry shared with the monolith (default: <repo>/models)
 *   API_KEYS, API_KEY, ALLOW_ANONYMOUS_API_ACCESS   the legacy X-API-Key check (platform `authEnv`)
 *   PORT                 8001
 */
import { authEnv, commonEnv, loadConfig, port, z, type Env } from '@smp/platform';
import { modelRegistryDirEnv } from '@smp/ml/registry/models-dir';

export const configSchema = z.object({
  ...commonEnv,
  ...authEnv,
  PORT: port(8001),
  MODEL_REGISTRY_DIR: modelRegistryDirEnv(),
});

export type Config = Readonly<z.output<typeof configSchema>>;

export function parseConfig(env: Env): Config {
  return loadConfig(configSchema, env);
}

/** The `export:onnx` CLI's configuration: only where the registry is. */
export const exportConfigSchema = z.object({ MODEL_REGISTRY_DIR: modelRegistryDirEnv() });

export type ExportConfig = Readonly<z.output<typeof exportConfigSchema>>;

/** Read the CLI's configuration; this module is the one place that looks at the process environment. */
export function exportConfigFromProcess(): ExportConfig {
  return loadConfig(exportConfigSchema, process.env);
}
