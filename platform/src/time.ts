/**
 * The legacy API's timestamp formats: server-made times are ISO 8601 UTC without an offset at
 * microsecond precision (`2025-08-21T10:00:00.123456`); times read from the database carry `+00:00`
 * (`dbTimestampSql`).
 */
import { performance } from 'node:perf_hooks';

/** `2025-08-21T10:00:00.123456` for `date` (default now; sub-millisecond digits from the monotonic clock). */
export function legacyTimestamp(date: Date = new Date()): string {
  const iso = date.toISOString(); // 2025-08-21T10:00:00.123Z
  const micro = String(Math.floor((performance.now() % 1) * 1000)).padStart(3, '0');
  return `${iso.slice(0, 23)}${micro}`;
}

/**
 * SQL rendering a timestamptz expression as the legacy API rendered times it read back (Python's
 * `isoformat()` of an aware UTC datetime): microseconds only when non-zero, offset `+00:00`,
 * whatever the session's TimeZone; NULL stays NULL.
 *   2025-08-21T10:00:00.123456+00:00, 2025-08-21T10:00:00+00:00
 * Rendered by PostgreSQL because node-pg's Date would cut its microseconds to milliseconds:
 *
 *   pool.query(`SELECT ${dbTimestampSql('created_at')} AS created_at FROM anomaly_alerts`)
 */
export function dbTimestampSql(timestamptz: string): string {
  return `(regexp_replace(to_char((${timestamptz}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\\.000000$', '') || '+00:00')`;
}
