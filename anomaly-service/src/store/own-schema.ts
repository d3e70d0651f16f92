/**
 * This service's own tables, migrated at start — but a database that is down at start must not
 * stop the service from starting (it degrades, never crashes). The gate tries once at start and
 * again on the next request that needs the tables, until it has succeeded once:
 *
 *   const schema = new OwnSchema(pool, logger);
 *   await schema.start();          // logs a failure, never throws
 *   await schema.ready();          // before touching sensor_thresholds / drift_results: 503 until migrated
 */
import { AppError, migrate, type Logger, type PgPool } from '@smp/platform';
import { MIGRATIONS_TABLE, migrations } from './migrations.js';

export class OwnSchema {
  private done = false;
  private pending: Promise<void> | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly pool: PgPool,
    private readonly logger: Logger,
  ) {}

  /** Whether the migrations have been applied (health reports it). */
  get migrated(): boolean {
    return this.done;
  }

  /** The first attempt, at start: failures are logged and retried later. */
  async start(): Promise<void> {
    await this.ready().catch(() => undefined);
  }

  /** Resolves once migrated; otherwise tries (one attempt shared by concurrent callers) and throws a 503. */
  async ready(): Promise<void> {
    if (this.done) return;
    this.pending ??= migrate(this.pool, { table: MIGRATIONS_TABLE, migrations })
      .then((applied) => {
        this.done = true;
        this.lastError = undefined;
        if (applied.length > 0) this.logger.info('anomaly-service migrations applied', { versions: applied });
      })
      .catch((err: Error) => {
        if (this.lastError !== err.message) this.logger.warn('anomaly-service migrations failed, will retry', { error: err.message });
        this.lastError = err.message;
      })
      .finally(() => {
        this.pending = undefined;
      });
    await this.pending;
    if (!this.done) throw new AppError('SERVICE_UNAVAILABLE', `Database unavailable: ${this.lastError ?? 'migrations not applied'}`);
  }
}
