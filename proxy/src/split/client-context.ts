/**
 * The Unleash context of one client request: who the client is, for sticky bucketing.
 *   userId        = a hash of X-API-Key (the key itself never leaves the proxy)
 *   sessionId     = X-Session-ID, else `ip:<client IP>`
 *   remoteAddress = the client's IP
 * Unleash's `default` stickiness buckets by userId, else sessionId, else at random per request.
 * Anonymous clients (no key, no session) get their IP as session so they too always land on the
 * same side; raising the rollout only ever adds clients, whichever identity is used.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Context } from 'unleash-client';

/** Unleash's context with the three fields the proxy fills. */
export type ClientContext = Context & { userId?: string; sessionId?: string; remoteAddress?: string };

function first(value: string | string[] | undefined): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v === undefined || v === '' ? undefined : v;
}

// Clients reuse their key on every request: remember recent hashes (bounded, dropped whole when full).
const MAX_CACHED_KEYS = 10_000;
let hashes = new Map<string, string>();

/** A short, stable, non-reversible id for an API key. */
export function apiKeyUserId(apiKey: string): string {
  let id = hashes.get(apiKey);
  if (id === undefined) {
    id = createHash('sha256').update(apiKey).digest('base64url').slice(0, 22);
    if (hashes.size >= MAX_CACHED_KEYS) hashes = new Map();
    hashes.set(apiKey, id);
  }
  return id;
}

export function clientContext(headers: IncomingHttpHeaders, remoteAddress: string | undefined): ClientContext {
  const ctx: ClientContext = {};
  const key = first(headers['x-api-key']);
  if (key !== undefined) ctx.userId = apiKeyUserId(key);
  const session = first(headers['x-session-id']);
  if (session !== undefined) ctx.sessionId = session;
  else if (remoteAddress !== undefined) ctx.sessionId = `ip:${remoteAddress}`;
  if (remoteAddress !== undefined) ctx.remoteAddress = remoteAddress;
  return ctx;
}
