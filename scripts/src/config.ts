/**
 * The stack's configuration, read once from the environment `npm start` runs in. Ports default to
 * the product's: clients use the proxy on 8000 (the monolith's old port), the monolith moves to 8010.
 * PostgreSQL and Unleash are started embedded unless DATABASE_URL / UNLEASH_URL point elsewhere.
 */
import { bool, commonEnv, httpUrl, int, loadConfig, optional, port, storageEnv, url, z, type Env } from '@smp/platform';

export const stackSchema = z
  .object({
    LOG_LEVEL: commonEnv.LOG_LEVEL,
    ...storageEnv,
    PROXY_PORT: port(8000),
    LEGACY_PORT: port(8010),
    PREDICTION_PORT: port(8001),
    ANOMALY_PORT: port(8002),
    /** The proxy's admin port (status, metrics, reload). */
    ADMIN_PORT: port(9901),
    /** Bearer token for the proxy's admin port; generated per run (and printed) when unset. */
    ADMIN_TOKEN: optional(z.string().trim().min(8, 'expected at least 8 characters')),
    /** The embedded PostgreSQL's port (used only without DATABASE_URL). */
    STACK_POSTGRES_PORT: port(5433),
    /** An Unleash server to use instead of starting one; needs both tokens below. */
    UNLEASH_URL: optional(httpUrl()),
    /** Client (backend) token the proxy reads flags with. Required with UNLEASH_URL. */
    UNLEASH_API_TOKEN: optional(z.string().trim().min(1)),
    /** Admin token for creating the migration flags and for rollbacks. Required with UNLEASH_URL. */
    UNLEASH_ADMIN_TOKEN: optional(z.string().trim().min(1)),
    /** The embedded Unleash's port (used only without UNLEASH_URL). */
    UNLEASH_PORT: port(4242),
    /** Where the embedded Unleash keeps its tables; default: schema `unleash` of DATABASE_URL. */
    UNLEASH_DATABASE_URL: optional(url(['postgres:', 'postgresql:'])),
    /** The Unleash environment the migration flags live in (the client token's environment). */
    UNLEASH_ENVIRONMENT: z.string().trim().min(1).default('development'),
    /** How long each process may take to become healthy. */
    STACK_HEALTH_TIMEOUT_MS: int(60_000, 1_000, 600_000),
    /** How long each process may take to stop after SIGTERM before it is killed. */
    STACK_STOP_TIMEOUT_MS: int(15_000, 1_000, 120_000),
    /** Where the stack keeps its state (embedded database files, pid files, Unleash credentials). */
    STACK_DIR: z.string().default('.stack'),
    /** Show raw JSON log lines instead of the readable rendering. */
    STACK_RAW_LOGS: bool(false),
    NO_COLOR: optional(z.string()),
  })
  .superRefine((c, ctx) => {
    if (c.UNLEASH_URL === undefined) return;
    for (const name of ['UNLEASH_API_TOKEN', 'UNLEASH_ADMIN_TOKEN'] as const) {
      if (c[name] === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [name], message: 'required when UNLEASH_URL is given' });
    }
  });

export type StackConfig = Readonly<z.output<typeof stackSchema>>;

export function parseStackConfig(env: Env): StackConfig {
  return loadConfig(stackSchema, env);
}
