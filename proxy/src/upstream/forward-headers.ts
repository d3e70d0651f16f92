/**
 * Headers across the proxy. Hop-by-hop headers (RFC 9110 §7.6.1: Connection and the headers it
 * names, Keep-Alive, Transfer-Encoding, TE, Trailer, Upgrade, Proxy-*) belong to one connection and
 * are dropped both ways; `Expect` is answered by the proxy itself (Node sends the 100 Continue).
 * Towards the upstream the proxy adds:
 *   X-Forwarded-For   the client IP appended to any existing list
 *   X-Forwarded-Proto / X-Forwarded-Host   what the client used
 *   X-Request-ID      the client's, or a new one
 *   traceparent       the client's when valid, or a new one
 * Client-sent X-Migrate-Variant* headers are dropped: only the splitter chooses a variant. A
 * client-sent X-Shadow-Request is dropped too: upstreams treat mirrored requests as side-effect
 * free and outside the client's rate budget, so a client must not be able to pose as a mirror.
 * Mirrored requests (shadow/) carry the forwarded headers, the same policy, plus
 * `X-Shadow-Request: 1`; their Content-Length is left to the mirror's client, which sends the body
 * as a buffer. Headers travel as flat [name, value, …] arrays, original case and order kept.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isValidTraceparent, newTraceparent } from './trace-context.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'http2-settings']);
/** Request headers the proxy drops or replaces. */
const REQUEST_DROP = new Set([...HOP_BY_HOP, 'expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'traceparent', 'tracestate', 'x-migrate-variant', 'x-migrate-variant-payload', 'x-shadow-request']);

/** Extra hop-by-hop names listed in a Connection header (`Connection: close, X-Foo`). */
function connectionTokens(value: string | undefined): Set<string> | null {
  // The usual values name no extra header: answered without splitting (every upstream answer has one).
  if (value === undefined || value === 'keep-alive' || value === 'close' || value === 'Keep-Alive' || value === 'Close') return null;
  let out: Set<string> | null = null;
  for (const token of value.split(',')) {
    const t = token.trim().toLowerCase();
    if (t !== '' && t !== 'close' && t !== 'keep-alive' && t !== 'upgrade') (out ??= new Set()).add(t);
  }
  return out;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

export interface ForwardInfo {
  requestId: string;
  clientIp: string | undefined;
}

/** The headers sent upstream for `req`, as a flat [name, value, …] list. */
export function upstreamRequestHeaders(req: IncomingMessage, info: ForwardInfo): string[] {
  const raw = req.rawHeaders;
  const named = connectionTokens(req.headers.connection);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase();
    if (REQUEST_DROP.has(lower) || (named !== null && named.has(lower))) continue;
    out.push(raw[i], raw[i + 1]);
  }
  const prior = req.headers['x-forwarded-for'];
  const ip = info.clientIp ?? 'unknown';
  out.push('x-forwarded-for', prior ? `${prior}, ${ip}` : ip);
  out.push('x-forwarded-proto', (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http');
  const host = req.headers.host;
  if (host !== undefined) out.push('x-forwarded-host', host);
  out.push('x-request-id', info.requestId);
  const tp = single(req.headers.traceparent);
  if (tp !== undefined && isValidTraceparent(tp)) {
    out.push('traceparent', tp);
    const ts = single(req.headers.tracestate);
    if (ts !== undefined) out.push('tracestate', ts);
  } else out.push('traceparent', newTraceparent());
  return out;
}

/**
 * The headers of a mirrored request: those forwarded upstream (`forwarded`), marked as a mirror;
 * `traceparent` (when given) replaces the forwarded one, so the mirror is its own branch of the trace.
 */
export function mirrorRequestHeaders(forwarded: readonly string[], traceparent = ''): string[] {
  const out: string[] = [];
  for (let i = 0; i < forwarded.length; i += 2) {
    const name = forwarded[i];
    if (name.length === 14 && name.toLowerCase() === 'content-length') continue;
    if (traceparent !== '' && name.length === 11 && name.toLowerCase() === 'traceparent') continue;
    out.push(name, forwarded[i + 1]);
  }
  if (traceparent !== '') out.push('traceparent', traceparent);
  out.push('x-shadow-request', '1');
  return out;
}

/** The client's headers without hop-by-hop ones (what a tap sees). */
export function endToEndHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = connectionTokens(headers.connection);
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (HOP_BY_HOP.has(name) || name === 'expect' || (named !== null && named.has(name))) continue;
    out[name] = value;
  }
  return out;
}

/** An upstream response's raw headers made ready for `res.writeHead`, hop-by-hop ones dropped. */
export function clientResponseHeaders(raw: Buffer[]): string[] {
  const out: string[] = [];
  let named: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toString('latin1');
    const lower = name.toLowerCase();
    if (lower === 'connection') named = connectionTokens(raw[i + 1].toString('latin1'));
    if (HOP_BY_HOP.has(lower)) continue;
    out.push(name, raw[i + 1].toString('latin1'));
  }
  if (named === null) return out;
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) if (!named.has(out[i].toLowerCase())) kept.push(out[i], out[i + 1]);
  return kept;
}

/** A flat header list as Node's parsed object (lowercase names; set-cookie an array; others joined). */
export function headersObject(flat: string[]): IncomingHttpHeaders {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i].toLowerCase();
    const value = flat[i + 1];
    const prior = out[name];
    if (prior === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[name] = `${prior}, ${value}`;
  }
  return out as IncomingHttpHeaders;
}

/** The Content-Length of a flat header list, or -1 when absent or not a plain number. */
export function contentLength(flat: string[]): number {
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i].length === 14 && flat[i].toLowerCase() === 'content-length') {
      const n = Number(flat[i + 1]);
      return Number.isSafeInteger(n) && n > 0 ? n : -1;
    }
  }
  return -1;
}
