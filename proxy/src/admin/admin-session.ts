/**
 * Browser sessions for the admin port's pages (`/report`): a browser cannot send a bearer header
 * from the address bar, so `/login` takes the admin token in a form and sets a cookie
 *
 *   smp_admin_session=<expiry s>.<HMAC-SHA256(key, expiry)>   HttpOnly; SameSite=Strict; Path=/
 *
 * where key = SHA-256 of the admin token: no server-side state, valid on every replica with the
 * same token, void when the token changes or the expiry (12 h) passes. Every compare is constant
 * time. The cookie is accepted only by routes marked `browser`; the JSON API keeps the bearer header
 * (SameSite=Strict already keeps other sites' requests from carrying it). `POST /logout` clears it.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { AdminRequest, AdminRoute } from './admin-route.js';

export const SESSION_COOKIE = 'smp_admin_session';
export const SESSION_TTL_S = 12 * 3_600;

const keyOf = (token: string) => createHash('sha256').update(`smp-admin-session\u0000${token}`).digest();
const mac = (token: string, expiry: number) => createHmac('sha256', keyOf(token)).update(`session:${expiry}`).digest('base64url');

/** Constant-time equality of two strings of any length (hashed first, so lengths do not leak). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function sessionCookieValue(token: string, nowMs: number): string {
  const expiry = Math.floor(nowMs / 1000) + SESSION_TTL_S;
  return `${expiry}.${mac(token, expiry)}`;
}

/** Does the Cookie header carry a valid, unexpired session for this token? */
export function sessionValid(cookieHeader: string | undefined, token: string, nowMs: number): boolean {
  if (!cookieHeader || token === '') return false;
  const raw = cookieHeader
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`))
    ?.slice(SESSION_COOKIE.length + 1);
  const m = raw === undefined ? null : /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(raw);
  if (m === null) return false;
  const expiry = Number(m[1]);
  const ok = sameSecret(m[2], mac(token, expiry));
  return ok && expiry * 1000 > nowMs;
}

/** Only a same-origin absolute path may be the target after login (no `//host`, no scheme). */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) ? next : '/report';
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function loginPage(next: string, failed: boolean): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Proxy admin login</title>
<style>body{font:15px system-ui,sans-serif;background:#f4f6f9;display:grid;place-items:center;height:100vh;margin:0}
form{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:24px 28px;width:360px}h1{font-size:18px;margin:0 0 12px}
input{width:100%;padding:8px;margin:6px 0 12px;border:1px solid #c5ccd8;border-radius:4px}button{padding:8px 16px}.err{color:#c62828}</style></head>
<body><form method="post" action="/login"><h1>Proxy admin</h1>${failed ? '<p class="err" role="alert">Wrong admin token.</p>' : ''}
<label for="token">Admin token (ADMIN_TOKEN)</label><input id="token" name="token" type="password" autocomplete="current-password" autofocus required>
<input type="hidden" name="next" value="${escape(next)}"><button type="submit">Log in</button></form></body></html>`;
}

const LOGIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const html = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, body, contentType: 'text/html; charset=utf-8', headers: { 'content-security-policy': LOGIN_CSP, 'cache-control': 'no-store', ...headers } });

/** `GET /login`, `POST /login` (form: token, next), `POST /logout`. */
export function sessionRoutes(token: string, now: () => number = Date.now): AdminRoute[] {
  const cookie = (value: string, maxAge: number) => `${SESSION_COOKIE}=${value}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`;
  return [
    { method: 'GET', path: '/login', public: true, handle: (req: AdminRequest) => html(200, loginPage(safeNext(req.query.get('next')), false)) },
    {
      method: 'POST',
      path: '/login',
      public: true,
      handle: (req: AdminRequest) => {
        const form = (req.body ?? {}) as Record<string, unknown>;
        const next = safeNext(form.next);
        if (token === '' || typeof form.token !== 'string' || !sameSecret(form.token, token)) return html(401, loginPage(next, true));
        return html(303, '', { location: next, 'set-cookie': cookie(sessionCookieValue(token, now()), SESSION_TTL_S) });
      },
    },
    { method: 'POST', path: '/logout', public: true, handle: () => html(303, '', { location: '/login', 'set-cookie': cookie('', 0) }) },
  ];
}
