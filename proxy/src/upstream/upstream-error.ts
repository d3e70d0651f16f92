/**
 * Upstream failures in the legacy error format. undici's errors carry stable codes; they fall in
 * two kinds a client can see:
 *   timeout      UND_ERR_CONNECT_TIMEOUT, UND_ERR_HEADERS_TIMEOUT, UND_ERR_BODY_TIMEOUT  -> 504
 *   unavailable  refused, reset, closed socket, anything else                         -> 502
 * Never a stack trace, never the upstream's address.
 */
import { AppError, toHttpError } from '@smp/platform';

/** Why a candidate attempt failed (a bounded metric label). */
export type FailureKind = 'connect' | 'timeout' | 'status_5xx' | 'error';

export function classifyError(err: unknown): FailureKind {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN') return 'connect';
  return 'error';
}

export const UPSTREAM_UNAVAILABLE = toHttpError(new AppError('UPSTREAM_UNAVAILABLE', 'Upstream unavailable'));
export const UPSTREAM_TIMEOUT = toHttpError(new AppError('UPSTREAM_TIMEOUT', 'Upstream timeout'));

/** The response a client gets for an upstream failure, body pre-serialised. */
export interface ErrorReply {
  readonly status: number;
  readonly body: Buffer;
}

export const UNAVAILABLE_REPLY: ErrorReply = { status: UPSTREAM_UNAVAILABLE.status, body: Buffer.from(JSON.stringify(UPSTREAM_UNAVAILABLE.body)) };
export const TIMEOUT_REPLY: ErrorReply = { status: UPSTREAM_TIMEOUT.status, body: Buffer.from(JSON.stringify(UPSTREAM_TIMEOUT.body)) };

export function replyFor(kind: FailureKind): ErrorReply {
  return kind === 'timeout' ? TIMEOUT_REPLY : UNAVAILABLE_REPLY;
}
