/**
 * The admin port's extension contract. Any part of the proxy (or a plug-in given to createApp) adds
 * endpoints as plain objects; the admin server does auth, JSON parsing, errors and 404/405:
 *
 *   const resume: AdminRoute = {
 *     method: 'POST', path: '/routes/:id/resume',
 *     handle: (req) => ({ body: { resumed: req.params.id } }),
 *   };
 *   createApp({ ..., adminRoutes: [resume], statusSections: [() => ({ judge: {...} })] });
 *
 * Throw an AppError for a client error (`throw new AppError('NOT_FOUND', "Route 'x' not found")`);
 * anything else becomes a logged 500 `{"detail":"Internal Server Error"}`.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** One parsed admin request. `body` is the parsed JSON (undefined when none was sent). */
export interface AdminRequest {
  readonly method: string;
  readonly path: string;
  /** `:param` values from the route's path template. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** What a handler answers: JSON by default; a string body with `contentType` is sent as is. */
export interface AdminReply {
  readonly status?: number;
  readonly body: unknown;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One admin endpoint: method + path template (`/routes/:id/resume`) + handler. */
export interface AdminRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  /** Served without the bearer token (only health probes and the login form should be). */
  readonly public?: boolean;
  /** A page for browsers: the login session cookie is accepted too, and a browser without one is sent to `/login`. */
  readonly browser?: boolean;
  handle(req: AdminRequest): AdminReply | Promise<AdminReply>;
}

/** Adds top-level keys to `GET /status` (e.g. `{ judge: {...} }`); called on every status request. */
export type StatusSection = () => Record<string, unknown> | Promise<Record<string, unknown>>;
