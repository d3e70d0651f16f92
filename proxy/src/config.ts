/** proxy configuration: parsed once from the environment, validated, frozen. */
import { commonEnv, loadConfig, port, storageEnv, z, type Env } from '@smp/platform';

export const configSchema = z.object({
  ...commonEnv,
  ...storageEnv,
  PORT: port(8000),
});

export type Config = Readonly<z.output<typeof configSchema>>;

export function parseConfig(env: Env): Config {
  return loadConfig(configSchema, env);
}
