/**
 * Upstream failures in the legacy error format. undici's errors carry stable codes; they fall in
 * two kinds a client can see:
 *   timeout      UND_ERR_CONNECT_TIMEOUT, UND_ERR_HEADERS_TIMEOUT, UND_ERR_BODY_TIMEOUT  -> 504
 *   unavailable  refused, reset, closed socket, anything else                         -> 502
 * Never a stack trace, never the upstream's address.
 *
 * A candidate's failure has a finer kind (a bounded metric label and the tap's `candidate-<kind>`):
 * before its head: connect, timeout, status_5xx, error (reset, closed); after its head:
 * reset_after_head (ECONNRESET), truncated (closed early, Content-Length not met), body_timeout
 * (the body stalled), invalid_body (says JSON, is not).
 */
import { AppError, toHttpError } from '@smp/platform';

/** Why a candidate attempt failed (a bounded metric label). */
export type FailureKind = 'connect' | 'timeout' | 'status_5xx' | 'error' | 'reset_after_head' | 'truncated' | 'body_timeout' | 'invalid_body';

/** The kind of an undici error; `afterHead`: the response head had arrived when it failed. */
export function classifyError(err: unknown, afterHead = false): FailureKind {
  const code = (err as { code?: string } | null)?.code;
  if (afterHead) {
    if (code === 'UND_ERR_BODY_TIMEOUT') return 'body_timeout';
    if (code === 'ECONNRESET' || code === 'EPIPE') return 'reset_after_head';
    return 'truncated';
  }
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
  return kind === 'timeout' || kind === 'body_timeout' ? TIMEOUT_REPLY : UNAVAILABLE_REPLY;
}
