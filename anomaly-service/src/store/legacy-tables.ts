/**
 * The monolith's tables this service reads and appends to but never creates: the monolith's
 * migrations own them (`legacy_schema_migrations`). Until they exist the service stays up, its
 * health says which are missing, and the routes that need them answer 503 with a clear detail:
 *
 *   {"detail":"Database schema not ready: table sensor_readings does not exist (created by the legacy monolith's migrations)"}
 * A database that cannot be reached at all is a 503 too (`Database unavailable: …`), never a crash.
 */
import { AppError, type PgPool } from '@smp/platform';

/** The shared tables, in the order they are reported. */
export const LEGACY_TABLES = Object.freeze(['sensor_readings', 'anomaly_alerts'] as const);

export type LegacyTable = (typeof LEGACY_TABLES)[number];

/** Which of `tables` do not exist yet (one round trip). */
export async function missingTables(pool: PgPool, tables: readonly string[] = LEGACY_TABLES): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    'SELECT name FROM unnest($1::text[]) WITH ORDINALITY AS t(name, n) WHERE to_regclass(name) IS NULL ORDER BY n',
    [tables],
  );
  return rows.map((r) => r.name);
}

/** The 503 a route answers when tables it needs are missing. */
export function schemaNotReady(tables: readonly string[]): AppError {
  const list = tables.join(', ');
  const noun = tables.length === 1 ? 'table' : 'tables';
  const verb = tables.length === 1 ? 'does' : 'do';
  return new AppError(
    'SERVICE_UNAVAILABLE',
    `Database schema not ready: ${noun} ${list} ${verb} not exist (created by the legacy monolith's migrations)`,
  );
}

/** PostgreSQL's undefined_table: a query ran before (or after someone dropped) the monolith's schema. */
export function isUndefinedTable(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === '42P01';
}

const CONNECTION_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE']);

/** The database could not be reached or dropped the connection (not a problem with the query). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  // SQLSTATE class 08 (connection exception) and 57P0x (server shutting down / unreachable).
  if (code.startsWith('08') || code.startsWith('57P0') || CONNECTION_ERRNOS.has(code)) return true;
  return typeof e?.message === 'string' && /timeout exceeded when trying to connect|Connection terminated/i.test(e.message);
}

/**
 * Run `fn`; an undefined-table failure becomes the 503 naming the tables that are missing now, an
 * unreachable database the 503 `Database unavailable: …` (the service stays up and says why).
 */
export async function needingTables<T>(pool: PgPool, tables: readonly string[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isConnectionError(err)) throw new AppError('SERVICE_UNAVAILABLE', `Database unavailable: ${(err as Error).message}`, { cause: err });
    if (!isUndefinedTable(err)) throw err;
    const missing = await missingTables(pool, tables).catch(() => [...tables]);
    throw schemaNotReady(missing.length > 0 ? missing : tables);
  }
}
