/**
 * The admin server: a small router on its own port (`ADMIN_PORT`), separate from client traffic.
 * Every endpoint but the public ones (`/health`) needs `Authorization: Bearer <ADMIN_TOKEN>`,
 * compared in constant time; without it: 401 `{"detail":"Not authenticated"}`. Errors keep the
 * legacy `{"detail": …}` shape through the platform's one error catalogue. Pages for browsers
 * (routes marked `browser`, e.g. `/report`) also accept the session cookie set by `/login`
 * (admin-session.ts); a browser without it is redirected there.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, toHttpError, type Logger } from '@smp/platform';
import { compilePathTemplate, type PathMatcher } from '../routing/path-template.js';
import type { AdminReply, AdminRequest, AdminRoute } from './admin-route.js';
import { sessionRoutes, sessionValid } from './admin-session.js';

const BODY_LIMIT = 1_048_576;

export interface AdminServerOptions {
  token: string;
  routes: readonly AdminRoute[];
  logger: Logger;
  /** Wall clock for session expiry (tests). */
  now?: () => number;
}

/** Constant-time check of an `Authorization` header against the token (hashes make lengths equal). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined || token === '') return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  const given = createHash('sha256').update(m ? m[1] : '').digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected) && m !== null;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        reject(new AppError('PAYLOAD_TOO_LARGE', 'Request body too large'));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: AdminReply): void {
  const text = typeof reply.body === 'string' && reply.contentType !== undefined;
  const payload = Buffer.from(text ? (reply.body as string) : JSON.stringify(reply.body));
  res.writeHead(reply.status ?? 200, {
    ...(reply.headers ?? {}),
    'content-type': text ? reply.contentType! : 'application/json',
    'content-length': String(payload.length),
  });
  res.end(payload);
}

export function createAdminListener(options: AdminServerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const now = options.now ?? Date.now;
  const routes = [...sessionRoutes(options.token, now), ...options.routes];
  const table: Array<{ route: AdminRoute; match: PathMatcher }> = routes.map((route) => ({ route, match: compilePathTemplate(route.path) }));
  return (req, res) => {
    void (async () => {
      try {
        const url = new URL(req.url ?? '/', 'http://admin.local');
        const path = url.pathname;
        let found: { route: AdminRoute; params: Readonly<Record<string, string>> } | null = null;
        let pathKnown = false;
        for (const entry of table) {
          const params = entry.match(path);
          if (params === null) continue;
          pathKnown = true;
          if (entry.route.method === req.method || (req.method === 'HEAD' && entry.route.method === 'GET')) {
            found = { route: entry.route, params };
            break;
          }
        }
        if (found === null) throw new AppError(pathKnown ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND', pathKnown ? 'Method Not Allowed' : 'Not Found');
        const authorized =
          found.route.public === true || bearerMatches(req.headers.authorization, options.token) || (found.route.browser === true && sessionValid(req.headers.cookie, options.token, now()));
        if (!authorized) {
          if (found.route.browser === true && req.method === 'GET' && /text\/html/.test(String(req.headers.accept ?? ''))) {
            send(res, { status: 303, body: '', contentType: 'text/plain', headers: { location: `/login?next=${encodeURIComponent(path + url.search)}` } });
            return;
          }
          throw new AppError('UNAUTHORIZED', 'Not authenticated', { headers: { 'www-authenticate': 'Bearer' } });
        }
        let body: unknown;
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          const raw = await readBody(req);
          if (raw.length > 0 && /^application\/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? ''))) {
            body = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
          } else if (raw.length > 0) {
            try {
              body = JSON.parse(raw.toString('utf8'));
            } catch {
              throw new AppError('VALIDATION_FAILED', 'Request validation failed: body: JSON decode error');
            }
          }
        }
        const request: AdminRequest = { method: req.method ?? 'GET', path, params: found.params, query: url.searchParams, headers: req.headers, body };
        send(res, await found.route.handle(request));
      } catch (err) {
        const mapped = toHttpError(err);
        if (mapped.status >= 500) options.logger.error('admin request failed', { path: req.url, error: (err as Error)?.message, stack: (err as Error)?.stack });
        if (res.headersSent) {
          res.destroy();
          return;
        }
        send(res, { status: mapped.status, body: mapped.body, headers: mapped.headers });
      }
    })();
  };
}
