/**
 * Mirrored (shadow) requests: the edge proxy sends a copy of a client's request to the other
 * implementation to compare answers, marked `X-Shadow-Request: 1` (and it drops any copy a client
 * sends, so only the proxy can mark one). A mirrored request must answer exactly as the primary
 * would, yet leave nothing behind: no stored rows and no spent rate-limit budget.
 *
 *   if (!isShadowRequest(req)) await alerts.insertMany(answer.anomalies_detected);
 *   await enforceRequestRateLimit(driftLimiter, req);   // reads the budget of a mirror, spends a client's
 */
import type { IncomingHttpHeaders } from 'node:http';

/** The header the proxy marks mirrored requests with (value `1`). */
export const SHADOW_REQUEST_HEADER = 'X-Shadow-Request';

const HEADER_KEY = SHADOW_REQUEST_HEADER.toLowerCase();

/** True when the request is a proxy's mirror (`X-Shadow-Request: 1`); any other value or none is a client's. */
export function isShadowRequest(req: { readonly headers: IncomingHttpHeaders }): boolean {
  return req.headers[HEADER_KEY] === '1';
}
