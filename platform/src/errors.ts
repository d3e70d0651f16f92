/**
 * The one catalogue of errors. Each has a stable `code` (for logs, metrics and tests) and maps to
 * an HTTP status in exactly one place (`STATUS`). Bodies keep the legacy API's shape:
 * `{"detail": <string or object>}`, because existing clients parse that.
 *
 *   throw new AppError('NOT_FOUND', "Model 'x' not found");
 *   // -> 404 {"detail":"Model 'x' not found"}
 */

export const STATUS = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  NOT_AUTHENTICATED: 403,
  INVALID_API_KEY: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  VALIDATION_FAILED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UPSTREAM_UNAVAILABLE: 502,
  SERVICE_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof STATUS;

/** An error a client may see: a stable code, the legacy `detail`, optional response headers. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, detail: unknown, options: { headers?: Record<string, string>; cause?: unknown } = {}) {
    super(typeof detail === 'string' ? detail : code, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = STATUS[code];
    this.detail = detail;
    this.headers = Object.freeze({ ...(options.headers ?? {}) });
  }
}

/** Refused configuration: never reaches a client; `problems` lists one line per variable. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    message: string,
    readonly problems: readonly string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface HttpErrorResponse {
  status: number;
  code: ErrorCode;
  body: { detail: unknown };
  headers: Readonly<Record<string, string>>;
}

/** Map any thrown value to the response a client gets. Unknown errors never leak their message. */
export function toHttpError(err: unknown): HttpErrorResponse {
  if (err instanceof AppError) {
    return { status: err.status, code: err.code, body: { detail: err.detail }, headers: err.headers };
  }
  const e = err as { type?: string; status?: number; statusCode?: number } | null;
  // body-parser's errors carry a status and a type; keep FastAPI's wording for the common ones.
  if (e && e.type === 'entity.parse.failed') {
    return { status: 422, code: 'VALIDATION_FAILED', body: { detail: 'Request validation failed: body: JSON decode error' }, headers: {} };
  }
  if (e && e.type === 'entity.too.large') {
    return { status: 413, code: 'PAYLOAD_TOO_LARGE', body: { detail: 'Request body too large' }, headers: {} };
  }
  return { status: 500, code: 'INTERNAL', body: { detail: 'Internal Server Error' }, headers: {} };
}
