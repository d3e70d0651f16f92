/**
 * The legacy `X-API-Key` check, quirks included:
 *   - no key (or an empty one) and anonymous access allowed (the default): the request passes;
 *   - no key and anonymous access off: 403 "Not authenticated: API key required.";
 *   - a key that is not accepted: 403 "Could not validate credentials: Invalid API key.".
 * Keys come from `API_KEYS` (comma list) plus `API_KEY` (see `authEnv` in config.ts).
 *
 *   const auth = createApiKeyAuth({ keys: acceptedApiKeys(config), allowAnonymous: config.ALLOW_ANONYMOUS_API_ACCESS });
 *   app.post('/api/v1/data/ingest', auth, handler);      // per route, as FastAPI's Security() was
 *
 * Used per route, an unknown path still answers 404 whatever key it carries, as in the original.
 * Used app-wide, the exempt paths (`/`, `/health*`, `/metrics`, `/api/v1/ml/health`,
 * `/api/v1/simulate/*`) pass without a key.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.js';

export const API_KEY_HEADER = 'x-api-key';
export const NOT_AUTHENTICATED_DETAIL = 'Not authenticated: API key required.';
export const INVALID_API_KEY_DETAIL = 'Could not validate credentials: Invalid API key.';

/** The accepted keys of an `authEnv` config: `API_KEY` first, then `API_KEYS`, deduplicated. */
export function acceptedApiKeys(config: { readonly API_KEYS: readonly string[]; readonly API_KEY?: string }): string[] {
  const keys = [config.API_KEY, ...config.API_KEYS].filter((k): k is string => typeof k === 'string' && k.length > 0);
  return [...new Set(keys)];
}

/** Paths the legacy app served without a key. */
export function isAuthExemptPath(path: string): boolean {
  return (
    path === '/' ||
    path.startsWith('/health') ||
    path === '/metrics' ||
    path === '/api/v1/ml/health' ||
    path.startsWith('/api/v1/simulate/')
  );
}

export interface ApiKeyAuthOptions {
  keys: readonly string[];
  allowAnonymous: boolean;
  /** Paths that pass without a check; default `isAuthExemptPath`. */
  exempt?: (path: string) => boolean;
}

/** What a request presented: no key (and that was allowed) or an accepted key. */
export type ApiKeyOutcome = { kind: 'anonymous' } | { kind: 'key'; key: string };

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Checks a presented key against the accepted ones in time independent of where (or whether) it matches. */
export class ApiKeyVerifier {
  private readonly digests: Buffer[];
  constructor(
    keys: readonly string[],
    private readonly allowAnonymous: boolean,
  ) {
    this.digests = keys.map(digest);
  }

  /** Throws AppError NOT_AUTHENTICATED / INVALID_API_KEY with the legacy details. */
  verify(presented: string | undefined): ApiKeyOutcome {
    if (!presented) {
      if (this.allowAnonymous) return { kind: 'anonymous' };
      throw new AppError('NOT_AUTHENTICATED', NOT_AUTHENTICATED_DETAIL);
    }
    const candidate = digest(presented);
    let match = false;
    // Compare with every key, never stopping early, so timing says nothing about which matched.
    for (const d of this.digests) match = timingSafeEqual(candidate, d) || match;
    if (!match) throw new AppError('INVALID_API_KEY', INVALID_API_KEY_DETAIL);
    return { kind: 'key', key: presented };
  }
}

/** The `X-API-Key` value of a request (first one if repeated), undefined when absent or empty. */
export function apiKeyOf(req: Pick<Request, 'headers'>): string | undefined {
  const raw = req.headers[API_KEY_HEADER];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value ? value : undefined;
}

/** Express middleware enforcing the legacy key check; failures go to the error mapper. */
export function createApiKeyAuth(options: ApiKeyAuthOptions) {
  const verifier = new ApiKeyVerifier(options.keys, options.allowAnonymous);
  const exempt = options.exempt ?? isAuthExemptPath;
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (exempt(req.path)) return next();
    try {
      verifier.verify(apiKeyOf(req));
      next();
    } catch (err) {
      next(err);
    }
  };
}
