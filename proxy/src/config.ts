/** proxy configuration: parsed once from the environment, validated, frozen. */
import { fileURLToPath } from 'node:url';
import { bool, commonEnv, httpUrl, int, loadConfig, optional, port, storageEnv, z, type Env } from '@smp/platform';
import { rolloutEnv } from './rollout/rollout-env.js';
import { shadowEnv } from './shadow/shadow-env.js';

/** The route table shipped with the proxy (`proxy/routes.default.json`). */
export const DEFAULT_ROUTES_FILE = fileURLToPath(new URL('../../routes.default.json', import.meta.url));

/** `ADMIN_PORT`: a port (0 = any free one), or `off` to run without the admin server. */
const adminPort = z
  .string()
  .trim()
  .toLowerCase()
  .refine((s) => s === 'off' || (/^\d+$/.test(s) && Number(s) <= 65535), 'expected an integer 0..65535 or "off"')
  .transform((s): number | null => (s === 'off' ? null : Number(s)))
  .default('9901');

export const configSchema = z
  .object({
    ...commonEnv,
    ...storageEnv,
    PORT: port(8000),
    /** Admin server (status, metrics, reload); `off` disables it. */
    ADMIN_PORT: adminPort,
    /** Loopback by default: the admin API is for operators on the host, not for clients. */
    ADMIN_HOST: z.string().trim().min(1).default('127.0.0.1'),
    /** Bearer token for every admin endpoint except /health; unset: a random one per run, logged once. */
    ADMIN_TOKEN: optional(z.string().min(8, 'expected at least 8 characters')),
    /** Route table file (JSON); reloaded on change and on POST /reload. */
    PROXY_ROUTES: z.string().trim().min(1).default(DEFAULT_ROUTES_FILE),
    PROXY_ROUTES_WATCH: bool(true),
    LEGACY_URL: httpUrl().default('http://127.0.0.1:8010'),
    PREDICTION_URL: httpUrl().default('http://127.0.0.1:8001'),
    ANOMALY_URL: httpUrl().default('http://127.0.0.1:8002'),
    /** Keep-alive connections per upstream pool. */
    UPSTREAM_CONNECTIONS: int(128, 1, 10_000),
    UPSTREAM_CONNECT_TIMEOUT_MS: int(2_000, 1, 600_000),
    /** Request bodies up to this size are buffered, so a failed candidate can be retried on legacy. */
    FALLBACK_BODY_LIMIT_BYTES: int(1_048_576, 0, 1_073_741_824),
    /** Request bodies above this are refused (413 when declared, the connection cut when chunked). */
    CLIENT_BODY_LIMIT_BYTES: int(104_857_600, 0, 1_099_511_627_776),
    /** Requests with more header lines are refused (400). */
    CLIENT_MAX_HEADERS: int(256, 1, 2_000),
    /** A client has this long to send a request's headers (slowloris); above keep-alive's 65 s by default. */
    CLIENT_HEADERS_TIMEOUT_MS: int(66_000, 1_000, 300_000),
    /** Candidate answers on idempotent routes up to this size are read whole before the client gets the head (0: always stream). */
    CANDIDATE_BUFFER_LIMIT_BYTES: int(1_048_576, 0, 1_073_741_824),
    /** Consecutive candidate failures that open a circuit breaker. */
    BREAKER_FAILURE_THRESHOLD: int(5, 1, 1_000_000),
    /** How long an open breaker sends everything to legacy before one half-open probe. */
    BREAKER_OPEN_MS: int(10_000, 1, 86_400_000),
    UNLEASH_URL: optional(httpUrl()),
    UNLEASH_API_TOKEN: optional(z.string()),
    UNLEASH_APP_NAME: z.string().trim().min(1).default('strangler-proxy'),
    UNLEASH_REFRESH_MS: int(1_000, 100, 3_600_000),
    /** Unleash client-features JSON used when no UNLEASH_URL is given (no polling). */
    UNLEASH_BOOTSTRAP: optional(z.string().trim()),
    /** How long start() waits for the first flag fetch before serving with legacy-only routing. */
    UNLEASH_READY_TIMEOUT_MS: int(3_000, 0, 600_000),
    /** Shadowing, comparison, recording, judging and rollback (see shadow/shadow-env.ts). */
    ...shadowEnv,
    /** Rollout plans (see rollout/rollout-env.ts). */
    ...rolloutEnv,
  });

export type Config = Readonly<z.output<typeof configSchema>>;

export function parseConfig(env: Env): Config {
  return loadConfig(configSchema, env);
}
