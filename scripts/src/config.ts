/**
 * The stack's configuration, read once from the environment `npm start` runs in. Ports default to
 * the product's: clients use the proxy on 8000 (the monolith's old port), the monolith moves to 8010.
 */
import { bool, commonEnv, int, loadConfig, optional, port, storageEnv, z, type Env } from '@smp/platform';

export const stackSchema = z.object({
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  ...storageEnv,
  PROXY_PORT: port(8000),
  LEGACY_PORT: port(8010),
  PREDICTION_PORT: port(8001),
  ANOMALY_PORT: port(8002),
  /** How long each process may take to become healthy. */
  STACK_HEALTH_TIMEOUT_MS: int(60_000, 1_000, 600_000),
  /** How long each process may take to stop after SIGTERM before it is killed. */
  STACK_STOP_TIMEOUT_MS: int(15_000, 1_000, 120_000),
  /** Where the stack keeps its state (embedded database files, pid files). */
  STACK_DIR: z.string().default('.stack'),
  /** Show raw JSON log lines instead of the readable rendering. */
  STACK_RAW_LOGS: bool(false),
  NO_COLOR: optional(z.string()),
});

export type StackConfig = Readonly<z.output<typeof stackSchema>>;

export function parseStackConfig(env: Env): StackConfig {
  return loadConfig(stackSchema, env);
}
