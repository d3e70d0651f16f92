/**
 * The legacy API's timestamp formats: server-made times are ISO 8601 UTC without an offset at
 * microsecond precision (`2025-08-21T10:00:00.123456`); times read from the database carry `+00:00`.
 */
import { performance } from 'node:perf_hooks';

/** `2025-08-21T10:00:00.123456` for `date` (default now; sub-millisecond digits from the monotonic clock). */
export function legacyTimestamp(date: Date = new Date()): string {
  const iso = date.toISOString(); // 2025-08-21T10:00:00.123Z
  const micro = String(Math.floor((performance.now() % 1) * 1000)).padStart(3, '0');
  return `${iso.slice(0, 23)}${micro}`;
}

/** `2025-08-21T10:00:00.123000+00:00` for a database timestamp. */
export function dbTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000+00:00`;
}
