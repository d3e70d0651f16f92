/**
 * Requests the proxy refuses before routing, with a clear 4xx and `Connection: close` (Node's HTTP
 * parser already answers 400 to smuggling shapes: Content-Length with Transfer-Encoding, duplicate
 * Content-Length, unknown transfer codings, bad chunking; and 431 to oversized headers):
 *   absolute-form or asterisk-form targets (`GET http://other/…`)  -> 400: an edge, not a forward proxy;
 *                                                                    forwarding one would send a path
 *                                                                    that is not a path
 *   a declared Content-Length above CLIENT_BODY_LIMIT_BYTES        -> 413, nothing read or forwarded
 *   more than CLIENT_MAX_HEADERS header lines                      -> 400 (Node would silently drop
 *                                                                    those past 2,000 and forward the rest)
 * A chunked body that outgrows the limit is cut in request-body.ts (the connection closes).
 */
import type { IncomingMessage } from 'node:http';
import { AppError, toHttpError } from '@smp/platform';
import type { ErrorReply } from './upstream-error.js';

function reply(code: 'BAD_REQUEST' | 'PAYLOAD_TOO_LARGE', detail: string): ErrorReply {
  const http = toHttpError(new AppError(code, detail));
  return { status: http.status, body: Buffer.from(JSON.stringify(http.body)) };
}

export const NOT_ORIGIN_FORM = reply('BAD_REQUEST', 'Request target must be a path (origin-form)');
export const BODY_TOO_LARGE = reply('PAYLOAD_TOO_LARGE', 'Request body too large');
export const TOO_MANY_HEADERS = reply('BAD_REQUEST', 'Too many request headers');

export interface RequestLimits {
  readonly bodyBytes: number;
  readonly headers: number;
}

/** The refusal for this request, or null to forward it. */
export function refusal(req: IncomingMessage, limits: RequestLimits): ErrorReply | null {
  if (req.url === undefined || req.url.charCodeAt(0) !== 47 /* / */) return NOT_ORIGIN_FORM;
  if (req.rawHeaders.length > 2 * limits.headers) return TOO_MANY_HEADERS;
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limits.bodyBytes) return BODY_TOO_LARGE;
  return null;
}
