/**
 * Timestamps read from PostgreSQL, rendered as the legacy API did (Python's `isoformat()` of an
 * aware UTC datetime): microseconds only when non-zero, offset `+00:00`:
 *   2025-08-21T10:00:00.123456+00:00, 2025-08-21T10:00:00+00:00
 * Formatting happens in SQL so the microseconds PostgreSQL keeps are not cut to JS milliseconds.
 */

/** SQL rendering a timestamptz column as `YYYY-MM-DDTHH:MI:SS.US` in UTC (pass it to `pyIsoUtc`). */
export function isoSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
}

/** `2025-08-21T10:00:00.000000` -> `2025-08-21T10:00:00+00:00`; null stays null. */
export function pyIsoUtc(text: string | null): string | null {
  if (text === null) return null;
  return `${text.endsWith('.000000') ? text.slice(0, -7) : text}+00:00`;
}
