/**
 * Feature flags, read synchronously from memory and kept fresh in the background by
 * unleash-client. Three modes:
 *   server     UNLEASH_URL (+ UNLEASH_API_TOKEN): polled every UNLEASH_REFRESH_MS; when the server
 *              is unreachable the last flags fetched stay in force (errors logged, never thrown).
 *   bootstrap  UNLEASH_BOOTSTRAP: a client-features JSON file read once; no polling, no warnings.
 *   none       neither: every flag is off, so every request goes to legacy.
 *
 *   flags.isEnabled('migrate.ml-predict.live', { userId: 'k1' })   // boolean, no I/O
 *   flags.percent('migrate.ml-predict.live')                       // 30 (for status and metrics)
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '@smp/platform';
import { InMemStorageProvider, Unleash, UnleashEvents, type ClientFeaturesResponse } from 'unleash-client';
import type { FeatureInterface } from 'unleash-client/lib/feature.js';
import type { ClientContext } from './client-context.js';
import { MemoryRepository, parseClientFeatures } from './memory-repository.js';
import { hasVariants, rolloutPercent } from './rollout.js';

export type FlagMode = 'server' | 'bootstrap' | 'memory' | 'none';

/** The live flag's variant for one client: its name and payload value (`{"model_version":"2"}`). */
export interface FlagVariant {
  readonly name: string;
  readonly payload?: string;
}

export interface FlagSourceOptions {
  logger: Logger;
  appName: string;
  /** Poll a real Unleash server. */
  server?: { url: string; token?: string; refreshMs: number; readyTimeoutMs: number };
  /** Read a client-features JSON file once. */
  bootstrapFile?: string;
  /** Evaluate from this repository (tests, or a caller that manages features itself). */
  repository?: MemoryRepository;
}

/** What `GET /status` shows about the flag source. */
export interface FlagSourceStatus {
  mode: FlagMode;
  url?: string;
  file?: string;
  ready: boolean;
  lastChangeAt: string | null;
  lastError: { at: string; message: string } | null;
}

const ERROR_LOG_EVERY_MS = 60_000;

export class FlagSource {
  private percents = new Map<string, number>();
  private withVariants = new Set<string>();
  private ready = false;
  private lastChangeAt: Date | null = null;
  private lastError: FlagSourceStatus['lastError'] = null;
  private lastErrorLoggedAt = 0;
  private readonly listeners: Array<() => void> = [];

  private constructor(
    readonly mode: FlagMode,
    private readonly unleash: Unleash,
    private readonly options: FlagSourceOptions,
  ) {
    // Without an `error` listener unleash-client crashes the process on the first failed fetch.
    unleash.on(UnleashEvents.Error, (err: Error) => this.onError(err));
    unleash.on(UnleashEvents.Warn, (msg: unknown) => options.logger.warn('unleash warning', { warning: String(msg) }));
    unleash.on(UnleashEvents.Changed, () => this.refresh());
    unleash.on(UnleashEvents.Unchanged, () => this.reachable());
    unleash.on(UnleashEvents.Ready, () => {
      this.ready = true;
      this.refresh();
    });
  }

  /** Build the source for the given mode; a bad bootstrap file is refused here (start fails). */
  static async open(options: FlagSourceOptions): Promise<FlagSource> {
    const common = { appName: options.appName, skipInstanceCountWarning: true, storageProvider: new InMemStorageProvider<ClientFeaturesResponse>() };
    if (options.server !== undefined && options.repository === undefined) {
      const { url, token, refreshMs, readyTimeoutMs } = options.server;
      const unleash = new Unleash({
        ...common,
        url,
        refreshInterval: refreshMs,
        ...(token ? { customHeaders: { Authorization: token } } : {}),
        timeout: Math.max(1_000, Math.min(10_000, refreshMs * 5)),
      });
      const source = new FlagSource('server', unleash, options);
      await source.waitReady(readyTimeoutMs);
      return source;
    }
    let mode: FlagMode = options.repository !== undefined ? 'memory' : 'none';
    let repository = options.repository;
    if (repository === undefined && options.bootstrapFile !== undefined) {
      repository = new MemoryRepository(await readBootstrap(options.bootstrapFile));
      mode = 'bootstrap';
    }
    // No server: the repository is all there is; the URL is required by the client but never used.
    const unleash = new Unleash({
      ...common,
      url: 'http://unleash.invalid/api',
      repository: repository ?? new MemoryRepository(),
      disableMetrics: true,
      refreshInterval: 0,
    });
    const source = new FlagSource(mode, unleash, options);
    await source.waitReady(1_000);
    if (mode === 'none') options.logger.warn('no UNLEASH_URL or UNLEASH_BOOTSTRAP: every flag is off, legacy serves every route');
    return source;
  }

  isEnabled(name: string, context: ClientContext): boolean {
    return this.unleash.isEnabled(name, context);
  }

  /** Evaluate a flag that may carry variants: enabled for this client, and which variant. */
  evaluate(name: string, context: ClientContext): { enabled: boolean; variant?: FlagVariant } {
    if (!this.withVariants.has(name)) return { enabled: this.unleash.isEnabled(name, context) };
    const v = this.unleash.getVariant(name, context);
    const enabled = v.feature_enabled ?? v.featureEnabled;
    if (!enabled || !v.enabled) return { enabled };
    return { enabled, variant: v.payload !== undefined ? { name: v.name, payload: v.payload.value } : { name: v.name } };
  }

  /** Rollout share of a flag from its definition (0 when missing or disabled). */
  percent(name: string): number {
    return this.percents.get(name) ?? 0;
  }

  definition(name: string): FeatureInterface | undefined {
    return this.unleash.getFeatureToggleDefinition(name);
  }

  /** Called after every change of the flag set (new fetch, bootstrap loaded). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  status(): FlagSourceStatus {
    return {
      mode: this.mode,
      ...(this.options.server && this.mode === 'server' ? { url: this.options.server.url } : {}),
      ...(this.mode === 'bootstrap' ? { file: this.options.bootstrapFile } : {}),
      ready: this.ready,
      lastChangeAt: this.lastChangeAt?.toISOString() ?? null,
      lastError: this.lastError,
    };
  }

  close(): void {
    this.unleash.destroy();
  }

  private waitReady(timeoutMs: number): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.options.logger.warn('flags not fetched yet; serving with the flags known so far (none: legacy)', { timeout_ms: timeoutMs });
        resolve();
      }, timeoutMs);
      timer.unref();
      this.unleash.once(UnleashEvents.Ready, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private refresh(): void {
    const percents = new Map<string, number>();
    const withVariants = new Set<string>();
    for (const f of this.unleash.getFeatureToggleDefinitions() ?? []) {
      percents.set(f.name, rolloutPercent(f as FeatureInterface));
      if (hasVariants(f as FeatureInterface)) withVariants.add(f.name);
    }
    this.percents = percents;
    this.withVariants = withVariants;
    this.lastChangeAt = new Date();
    this.reachable();
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        this.options.logger.warn('flag change listener failed', { error: (err as Error).message });
      }
    }
  }

  private reachable(): void {
    if (this.lastError === null) return;
    this.lastError = null;
    this.options.logger.info('unleash reachable again');
  }

  private onError(err: Error): void {
    const now = Date.now();
    const repeated = this.lastError !== null && this.lastError.message === err.message;
    this.lastError = { at: new Date(now).toISOString(), message: err.message };
    // A down server fails every refresh: log the first failure and then once a minute, not every second.
    if (!repeated || now - this.lastErrorLoggedAt >= ERROR_LOG_EVERY_MS) {
      this.lastErrorLoggedAt = now;
      this.options.logger.warn('unleash unreachable; the last known flags stay in force', { error: err.message });
    }
  }
}

async function readBootstrap(file: string): Promise<ClientFeaturesResponse> {
  try {
    return parseClientFeatures(JSON.parse(await readFile(file, 'utf8')));
  } catch (err) {
    throw new Error(`UNLEASH_BOOTSTRAP ${file}: ${(err as Error).message}`);
  }
}
