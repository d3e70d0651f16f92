/**
 * Configuration: parsed from the environment once, validated against a schema, frozen.
 *
 * Every service declares `const schema = z.object({ ...commonEnv, MY_VAR: ... })` and calls
 * `loadConfig(schema, process.env)` from its `main.ts`. A bad environment is refused with one
 * message that names every bad variable, e.g.
 *   Invalid configuration: PORT: expected an integer 0..65535, got "abc"; LOG_LEVEL: ...
 * This is the only module of the platform allowed to look at environment variables, and it only
 * looks at the object it is given.
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';

export type Env = Record<string, string | undefined>;

/** An integer TCP port given as a string; 0 means "any free port". */
export const port = (fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected an integer 0..65535')
    .transform(Number)
    .refine((n) => n >= 0 && n <= 65535, 'expected an integer 0..65535')
    .default(String(fallback));

/** A positive integer with an optional upper bound. */
export const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, `expected an integer ${min}..${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected an integer ${min}..${max}`)
    .default(String(fallback));

/** A finite number with bounds. */
export const num = (fallback: number, min = -Infinity, max = Infinity) =>
  z
    .string()
    .trim()
    .refine((s) => s !== '' && Number.isFinite(Number(s)), 'expected a number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected a number in [${min}, ${max}]`)
    .default(String(fallback));

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);
/** A boolean flag: 1/true/yes/on or 0/false/no/off (case-insensitive). */
export const bool = (fallback: boolean) =>
  z
    .string()
    .trim()
    .transform((s) => s.toLowerCase())
    .refine((s) => TRUE.has(s) || FALSE.has(s), 'expected true/false (1/0, yes/no, on/off)')
    .transform((s) => TRUE.has(s))
    .default(fallback ? 'true' : 'false');

/** A URL with one of the given protocols. */
export const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine((s) => {
      try {
        return protocols.includes(new URL(s).protocol);
      } catch {
        return false;
      }
    }, `expected a URL (${protocols.join(' or ')})`);

/** An http(s) base URL, normalised without a trailing slash. */
export const httpUrl = () => url(['http:', 'https:']).transform((s) => s.replace(/\/+$/, ''));

/** A comma-separated list of non-empty strings. */
export const list = () =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p.length > 0),
    )
    .default('');

/** Treat an empty variable as unset, so `FOO=` in a compose file means "not given". */
export const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;

/** Variables every service understands. */
export const commonEnv = {
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** How long in-flight requests may take to finish after SIGTERM before sockets are cut. */
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0, 600_000),
  /** Set by the stack supervisor: exit when its stdin closes, so a killed supervisor leaves no orphans. */
  SUPERVISED: bool(false),
  /** OTLP/HTTP collector base URL (`http://otel-collector:4318`); unset: no tracing, at no cost (tracing.ts). */
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(httpUrl()),
  /** The traces' `service.name`; default: the service's own name. */
  OTEL_SERVICE_NAME: optional(z.string().trim().min(1)),
} as const;

/** PostgreSQL and Redis, for services that use them. */
export const storageEnv = {
  DATABASE_URL: optional(url(['postgres:', 'postgresql:'])),
  REDIS_URL: optional(url(['redis:', 'rediss:'])),
  /** Prefix for every Redis key, so several stacks (or test runs) can share one Redis. */
  REDIS_KEY_PREFIX: z.string().default(''),
} as const;

/** The legacy `X-API-Key` check (see http/auth.ts), for services that answer the legacy API. */
export const authEnv = {
  /** Comma-separated accepted keys. */
  API_KEYS: list(),
  /** One more accepted key (the legacy single-key setting). */
  API_KEY: optional(z.string().trim().min(1)),
  /** Requests without a key pass (the legacy default); off: they get 403. */
  ALLOW_ANONYMOUS_API_ACCESS: bool(true),
} as const;

function describe(issue: z.ZodIssue, env: Env): string {
  const name = issue.path.join('.') || '(environment)';
  const raw = typeof issue.path[0] === 'string' ? env[issue.path[0]] : undefined;
  let message = issue.message;
  if (issue.code === 'invalid_enum_value') message = `expected one of ${issue.options.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.received === 'undefined') message = 'required but not set';
  return raw === undefined ? `${name}: ${message}` : `${name}: ${message}, got ${JSON.stringify(raw)}`;
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * Parse `env` with `schema`; throws a ConfigError listing every bad variable.
 * The result is deeply frozen.
 */
export function loadConfig<S extends z.ZodTypeAny>(schema: S, env: Env): Readonly<z.output<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => describe(i, env));
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`, lines);
  }
  return deepFreeze(result.data);
}

export { z };
