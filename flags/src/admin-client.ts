/**
 * A small typed client for the Unleash 7 Admin API, for exactly what a migration needs: make sure
 * the migration flags exist with their flexibleRollout strategy in an environment, change a rollout
 * percentage, switch a flag on or off, set variants, and read a flag's state.
 *
 *   const admin = new UnleashAdminClient({ url: 'http://127.0.0.1:4242/api', token: adminToken });
 *   await admin.ensureFlags(migrationFlags());
 *   await admin.setRollout('migrate.ml-predict.live', 30);
 *   await admin.enable('migrate.ml-predict.live');
 *   await admin.close();
 *
 * Paths (Unleash 7.5): /api/admin/projects/<project>/features[/<name>[/environments/<env>[/on|/off|
 * /strategies[/<id>]]]], /api/admin/archive/revive/<name>. Variants are strategy variants (Unleash
 * 7 refuses new environment variants). Every failure is an UnleashAdminError with a stable `code`.
 */
import { Pool, errors as undiciErrors } from 'undici';
import { ROLLOUT_STRATEGY, rolloutStrategy, type FlagDefinition } from './definitions.js';
import { toVariantDefinitions, type VariantSpec } from './variants.js';

export type UnleashAdminErrorCode =
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'INVALID'
  | 'CONFLICT'
  | 'SERVER_ERROR'
  | 'BAD_RESPONSE';

/** A failed Admin API call: `code` says what kind, `message` says what to do about it. */
export class UnleashAdminError extends Error {
  constructor(
    readonly code: UnleashAdminErrorCode,
    message: string,
    readonly details: { method: string; path: string; status?: number; cause?: unknown },
  ) {
    super(message, { cause: details.cause });
    this.name = 'UnleashAdminError';
  }
}

export interface UnleashAdminOptions {
  /** The Unleash base URL, with or without the client API's `/api` suffix (UNLEASH_URL style). */
  url: string;
  /** An admin API token (`*:*.…`) or a personal access token. */
  token: string;
  project?: string;
  environment?: string;
  /** Per request: connect, headers and body each (default 10 s). */
  timeoutMs?: number;
}

/** A variant as read back from the server. */
export interface VariantState {
  name: string;
  /** Thousandths of the flag's candidate traffic (sums to 1000 over the variants). */
  weight: number;
  weightType: string;
  /** The payload parsed when it is JSON, else the raw string; undefined without a payload. */
  payload: unknown;
}

/** A migration flag's state in one environment, as Unleash has it now. */
export interface FlagState {
  name: string;
  environment: string;
  enabled: boolean;
  archived: boolean;
  stale: boolean;
  description: string;
  /** The flexibleRollout strategy's percentage, or null when the flag has no such strategy. */
  rollout: number | null;
  strategyId: string | null;
  variants: VariantState[];
  /** Strategies other than the migration one (added by hand in the UI): they widen who gets it. */
  otherStrategies: number;
}

/** What `ensureFlag` had to do; all false means the flag was already as required. */
export interface EnsureResult {
  name: string;
  created: boolean;
  revived: boolean;
  strategyAdded: boolean;
}

interface StrategyBody {
  id?: string;
  name: string;
  title?: string | null;
  disabled?: boolean;
  parameters?: Record<string, string>;
  constraints?: unknown[];
  variants?: Array<{ name: string; weight: number; weightType?: string; stickiness?: string; payload?: { type: string; value: string } }>;
  segments?: number[];
}

interface FeatureBody {
  name: string;
  description?: string | null;
  stale?: boolean;
  archived?: boolean;
  environments?: Array<{ name: string; enabled: boolean; strategies?: StrategyBody[] }>;
}

/** The Unleash server's base URL (no trailing slash, no `/api` suffix) from UNLEASH_URL. */
export function unleashBaseUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/api$/, '');
}

function parsePayload(p: { type: string; value: string } | undefined): unknown {
  if (!p) return undefined;
  if (p.type !== 'json') return p.value;
  try {
    return JSON.parse(p.value);
  } catch {
    return p.value;
  }
}

function codeForStatus(status: number): UnleashAdminErrorCode {
  if (status === 400) return 'INVALID';
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status >= 500) return 'SERVER_ERROR';
  return 'BAD_RESPONSE';
}

/** Unleash errors are `{message, details: [{message}]}`; keep whatever explains the refusal. */
function serverMessage(body: string): string {
  try {
    const json = JSON.parse(body) as { message?: string; details?: Array<{ message?: string; description?: string }> };
    const parts = [json.message, ...(json.details ?? []).map((d) => d.message ?? d.description)].filter((s): s is string => !!s);
    const unique = [...new Set(parts)];
    if (unique.length > 0) return unique.join('; ');
  } catch {
    /* not JSON: fall through */
  }
  return body.slice(0, 300).trim() || '(empty body)';
}

function isMigrationStrategy(s: StrategyBody, flag: string): boolean {
  return s.name === ROLLOUT_STRATEGY && (s.parameters?.groupId === undefined || s.parameters.groupId === flag || s.parameters.groupId === '');
}

export class UnleashAdminClient {
  readonly baseUrl: string;
  readonly project: string;
  readonly environment: string;
  private readonly pool: Pool;
  private readonly pathPrefix: string;
  private readonly token: string;
  private readonly timeoutMs: number;

  constructor(options: UnleashAdminOptions) {
    this.baseUrl = unleashBaseUrl(options.url);
    const u = new URL(this.baseUrl);
    this.pathPrefix = u.pathname.replace(/\/+$/, '');
    this.token = options.token;
    this.project = options.project ?? 'default';
    this.environment = options.environment ?? 'development';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.pool = new Pool(u.origin, { connections: 4, connectTimeout: this.timeoutMs });
  }

  private featuresPath(name?: string): string {
    const base = `/api/admin/projects/${encodeURIComponent(this.project)}/features`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  private envPath(name: string): string {
    return `${this.featuresPath(name)}/environments/${encodeURIComponent(this.environment)}`;
  }

  /** One call; resolves with the parsed JSON body (undefined when empty); throws UnleashAdminError. */
  private async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const where = { method, path };
    let res;
    try {
      res = await this.pool.request({
        method,
        path: `${this.pathPrefix}${path}`,
        headers: { authorization: this.token, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      const e = err as Error & { code?: string };
      if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.ConnectTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
        throw new UnleashAdminError('TIMEOUT', `Unleash at ${this.baseUrl} did not answer ${method} ${path} within ${this.timeoutMs} ms`, { ...where, cause: err });
      }
      throw new UnleashAdminError('UNREACHABLE', `cannot reach Unleash at ${this.baseUrl} (${e.code ?? e.message})`, { ...where, cause: err });
    }
    const text = await res.body.text();
    if (res.statusCode >= 200 && res.statusCode < 300) {
      if (text.length === 0) return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new UnleashAdminError('BAD_RESPONSE', `${method} ${path}: Unleash answered ${res.statusCode} with a body that is not JSON`, { ...where, status: res.statusCode });
      }
    }
    const code = codeForStatus(res.statusCode);
    const hint =
      code === 'UNAUTHORIZED' || code === 'FORBIDDEN'
        ? ' (UNLEASH_ADMIN_TOKEN must be an admin API token such as "*:*.…", or a personal access token)'
        : '';
    throw new UnleashAdminError(code, `${method} ${path}: Unleash answered ${res.statusCode}: ${serverMessage(text)}${hint}`, { ...where, status: res.statusCode });
  }

  /** Resolves when the server answers `/health` with 2xx. */
  async health(): Promise<void> {
    await this.call('GET', '/health');
  }

  private async feature(name: string): Promise<FeatureBody | undefined> {
    try {
      return await this.call<FeatureBody>('GET', this.featuresPath(name));
    } catch (err) {
      if (err instanceof UnleashAdminError && err.code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  private toState(f: FeatureBody): FlagState {
    const env = f.environments?.find((e) => e.name === this.environment);
    const strategies = env?.strategies ?? [];
    const ours = strategies.find((s) => isMigrationStrategy(s, f.name));
    const rollout = ours?.parameters?.rollout;
    return {
      name: f.name,
      environment: this.environment,
      enabled: env?.enabled ?? false,
      archived: f.archived ?? false,
      stale: f.stale ?? false,
      description: f.description ?? '',
      rollout: rollout === undefined ? null : Number(rollout),
      strategyId: ours?.id ?? null,
      variants: (ours?.variants ?? []).map((v) => ({ name: v.name, weight: v.weight, weightType: v.weightType ?? 'variable', payload: parsePayload(v.payload) })),
      otherStrategies: strategies.filter((s) => s !== ours).length,
    };
  }

  /** The flag's state in this client's environment, or undefined when no such (live) flag exists. */
  async getFlag(name: string): Promise<FlagState | undefined> {
    const f = await this.feature(name);
    return f ? this.toState(f) : undefined;
  }

  private missing(name: string): UnleashAdminError {
    return new UnleashAdminError('NOT_FOUND', `flag ${name} does not exist in project ${this.project} (create the migration flags first: npm start does, or npm run flags -- ensure)`, {
      method: 'GET',
      path: this.featuresPath(name),
      status: 404,
    });
  }

  /** Like getFlag, but a missing flag is an UnleashAdminError NOT_FOUND naming it. */
  async flag(name: string): Promise<FlagState> {
    const state = await this.getFlag(name);
    if (!state) throw this.missing(name);
    return state;
  }

  /**
   * Makes sure the flag exists (created disabled, or revived from the archive) and has its
   * flexibleRollout strategy in this environment (added at the definition's rollout). Never touches
   * an existing flag's rollout, enabled state or variants, so it is safe on every start.
   */
  async ensureFlag(def: FlagDefinition): Promise<EnsureResult> {
    const result: EnsureResult = { name: def.name, created: false, revived: false, strategyAdded: false };
    let f = await this.feature(def.name);
    if (!f) {
      try {
        await this.call('POST', this.featuresPath(), { name: def.name, description: def.description, type: def.type, impressionData: false });
        result.created = true;
      } catch (err) {
        // An archived flag keeps its name: bring it back rather than fail.
        if (!(err instanceof UnleashAdminError && err.code === 'CONFLICT')) throw err;
        await this.call('POST', `/api/admin/archive/revive/${encodeURIComponent(def.name)}`);
        result.revived = true;
      }
      f = await this.feature(def.name);
      if (!f) throw new UnleashAdminError('BAD_RESPONSE', `flag ${def.name} was created but cannot be read back`, { method: 'GET', path: this.featuresPath(def.name) });
    }
    const env = f.environments?.find((e) => e.name === this.environment);
    if (!env) {
      throw new UnleashAdminError('NOT_FOUND', `environment ${this.environment} is not enabled in project ${this.project}`, { method: 'GET', path: this.featuresPath(def.name) });
    }
    if (!(env.strategies ?? []).some((s) => isMigrationStrategy(s, def.name))) {
      await this.call('POST', `${this.envPath(def.name)}/strategies`, rolloutStrategy(def.name, def.defaultRollout));
      result.strategyAdded = true;
    }
    return result;
  }

  /** ensureFlag for each definition, in order. */
  async ensureFlags(defs: readonly FlagDefinition[]): Promise<EnsureResult[]> {
    const out: EnsureResult[] = [];
    for (const def of defs) out.push(await this.ensureFlag(def));
    return out;
  }

  /** The migration strategy of an existing flag, added at rollout 0 when it has none. */
  private async migrationStrategy(name: string): Promise<StrategyBody> {
    const f = await this.feature(name);
    if (!f) throw this.missing(name);
    const env = f.environments?.find((e) => e.name === this.environment);
    const found = env?.strategies?.find((s) => isMigrationStrategy(s, name));
    if (found) return found;
    return this.call<StrategyBody>('POST', `${this.envPath(name)}/strategies`, rolloutStrategy(name, 0));
  }

  private async putStrategy(name: string, s: StrategyBody): Promise<void> {
    const { id, ...rest } = s;
    await this.call('PUT', `${this.envPath(name)}/strategies/${encodeURIComponent(id!)}`, {
      name: rest.name,
      title: rest.title ?? undefined,
      disabled: rest.disabled ?? false,
      parameters: rest.parameters ?? {},
      constraints: rest.constraints ?? [],
      variants: rest.variants ?? [],
      segments: rest.segments ?? [],
    });
  }

  /** Sets the flag's rollout percentage (integer 0..100), keeping its variants and constraints. */
  async setRollout(name: string, percent: number): Promise<FlagState> {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
      throw new UnleashAdminError('INVALID', `rollout must be an integer 0..100, got ${percent}`, { method: 'PUT', path: `${this.envPath(name)}/strategies` });
    }
    const s = await this.migrationStrategy(name);
    await this.putStrategy(name, { ...s, disabled: false, parameters: { stickiness: 'default', groupId: name, ...(s.parameters ?? {}), rollout: String(percent) } });
    return this.flag(name);
  }

  /**
   * Turns the flag on in this environment. The migration strategy is made sure of first: Unleash
   * adds a 100% default strategy to a flag switched on without any, which would move everyone.
   */
  async enable(name: string): Promise<FlagState> {
    await this.migrationStrategy(name);
    await this.call('POST', `${this.envPath(name)}/on`);
    return this.flag(name);
  }

  /** Turns the flag off in this environment (its rollout and variants are kept for later). */
  async disable(name: string): Promise<FlagState> {
    await this.flag(name);
    await this.call('POST', `${this.envPath(name)}/off`);
    return this.flag(name);
  }

  /** Replaces the flag's variants (an empty list removes them); validates before calling. */
  async setVariants(name: string, specs: readonly VariantSpec[]): Promise<FlagState> {
    const variants = toVariantDefinitions(specs);
    const s = await this.migrationStrategy(name);
    await this.putStrategy(name, { ...s, variants });
    return this.flag(name);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
