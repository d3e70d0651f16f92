/**
 * The flags CLI's environment, read once. UNLEASH_URL is the client API URL the proxy also takes
 * (`http://host:4242/api`; the `/api` suffix is optional here). When neither UNLEASH_URL nor
 * UNLEASH_ADMIN_TOKEN is set, the CLI falls back to the local stack's `<STACK_DIR>/unleash.json`.
 */
import { httpUrl, loadConfig, optional, z, type Env } from '@smp/platform';

const schema = z.object({
  UNLEASH_URL: optional(httpUrl()),
  UNLEASH_ADMIN_TOKEN: optional(z.string().trim().min(1)),
  /** The Unleash environment the migration flags are switched in (the proxy's client token's). */
  UNLEASH_ENVIRONMENT: z.string().trim().min(1).default('development'),
  /** Where `npm start` keeps its state, including the local Unleash credentials. */
  STACK_DIR: z.string().default('.stack'),
  /** The proxy's PostgreSQL: rollout plans and the route history (default: the stack's database.json). */
  DATABASE_URL: optional(z.string().trim().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')),
});

export type FlagsCliConfig = Readonly<z.output<typeof schema>>;

export function parseFlagsCliConfig(env: Env): FlagsCliConfig {
  return loadConfig(schema, env);
}

/** The CLI's configuration from this process's environment. */
export function flagsCliConfigFromProcess(): FlagsCliConfig {
  return parseFlagsCliConfig(process.env);
}
