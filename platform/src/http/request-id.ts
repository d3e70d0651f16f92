/**
 * X-Request-ID: kept when the client sent a non-empty one, else a fresh UUIDv4; echoed on the
 * response and made the log `correlation_id` for everything done while answering.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** At most this many characters of a client-sent id are kept (a bounded log field). */
export const MAX_REQUEST_ID_LENGTH = 200;

export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const raw = headers['x-request-id'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value ? value.slice(0, MAX_REQUEST_ID_LENGTH) : randomUUID();
}
