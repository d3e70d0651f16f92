/**
 * The serving thread's side of the comparison database: its one PostgreSQL pool (reports on the
 * admin port, rollback events, schema, retention; the shadow worker writes the pairs on its own
 * pool), the schema migrated at start and retried in the background while the database is down,
 * and the retention purger.
 *
 *   const store = await ComparisonStore.open({ databaseUrl, logger, retention, onSchemaReady })
 *   store.pool()            // for a report: the pool, or SERVICE_UNAVAILABLE while not migrated
 *   await store.close()
 */
import { AppError, createPgPool, type Logger, type PgPool } from '@smp/platform';
import { migrateReportSchema } from './report-schema.js';
import { RetentionPurger } from './retention.js';

export interface ComparisonStoreOptions {
  databaseUrl: string;
  logger: Logger;
  retention: { rawHours: number; rollupDays: number; intervalMs: number };
  /** Called once the schema is migrated (the worker's recorder waits for it). */
  onSchemaReady: () => void;
  /** Wait between two migration attempts while the database is unreachable. */
  retryMs?: number;
}

export class ComparisonStore {
  private migrated = false;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly purger: RetentionPurger;

  private constructor(
    readonly db: PgPool,
    private readonly options: ComparisonStoreOptions,
  ) {
    this.purger = new RetentionPurger({ pool: db, logger: options.logger, ...options.retention, ready: () => this.migrated });
  }

  /** Opens the pool and tries the migration once (then in the background); never fails on a database that is down. */
  static async open(options: ComparisonStoreOptions): Promise<ComparisonStore> {
    const db = createPgPool(options.databaseUrl, options.logger, { max: 4, connectionTimeoutMillis: 2_000, statementTimeoutMillis: 10_000, applicationName: 'proxy-reports' });
    const store = new ComparisonStore(db, options);
    await store.migrate();
    store.purger.start();
    return store;
  }

  /** The comparison schema is migrated (false while the database is unreachable). */
  get schemaReady(): boolean {
    return this.migrated;
  }

  /** The pool for a report; SERVICE_UNAVAILABLE until the schema is migrated. */
  pool(): PgPool {
    if (!this.migrated) throw new AppError('SERVICE_UNAVAILABLE', 'Comparison store unavailable: database not reachable');
    return this.db;
  }

  private async migrate(): Promise<void> {
    const { logger } = this.options;
    try {
      const applied = await migrateReportSchema(this.db);
      this.migrated = true;
      this.options.onSchemaReady();
      if (applied.length) logger.info('comparison schema migrated', { versions: applied });
    } catch (err) {
      if (this.closed) return;
      logger.warn('comparison schema not migrated (database unavailable?); retrying, records are dropped meanwhile', { error: (err as Error).message });
      this.retry = setTimeout(() => void this.migrate(), this.options.retryMs ?? 5_000);
      this.retry.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    await this.purger.close();
    await this.db.end();
  }
}
