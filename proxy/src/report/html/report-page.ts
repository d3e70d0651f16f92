/**
 * The report as one self-contained HTML document: the data as a JSON island, uPlot (inlined from
 * the installed npm package, never a CDN), our styles and the browser glue (`report-client.js`).
 * The same document is served live (`GET /report`, refreshed by polling its JSON) and written to
 * a file (`npm run report -- --html`), which opens from disk with no network.
 *
 *   const { html, nonce } = renderReportPage(data, { refreshUrl: '/report.json?since=1h' });
 *   reply with html and header `content-security-policy: reportCsp(nonce)`
 *
 * Defence in depth: the client builds the DOM with textContent only; the JSON island escapes
 * `<`, `>`, `&`, U+2028/9 so a body cannot close the script element; and a strict CSP (scripts and
 * styles only with this page's nonce, no connections but to the page's own origin, none for the
 * file) means an injected `<script>` or `onerror=` would not run even if it reached the markup.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ReportData } from '../report-data.js';
import { REPORT_STYLES } from './report-styles.js';

let assets: { uplotJs: string; uplotCss: string; client: string } | null = null;

/** Read once, on first use: uPlot from node_modules, the glue from the source tree beside dist. */
function loadAssets(): { uplotJs: string; uplotCss: string; client: string } {
  if (assets === null) {
    const require = createRequire(import.meta.url);
    assets = {
      uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
      // dist/src/report/html/ -> src/report/html/ (the glue is browser JavaScript, not compiled by tsc).
      client: readFileSync(new URL('../../../../src/report/html/report-client.js', import.meta.url), 'utf8'),
    };
  }
  return assets;
}

/** JSON safe inside a <script> element: nothing in it can end the element or start a comment. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Escape text for HTML element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The page's policy: only this nonce's scripts and styles; connections to its own origin only when live. */
export function reportCsp(nonce: string, live: boolean): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    'img-src data:',
    `connect-src ${live ? "'self'" : "'none'"}`,
    "base-uri 'none'",
    `form-action ${live ? "'self'" : "'none'"}`,
    // A <meta> policy may not carry frame-ancestors (Chromium logs an error); the header does.
    ...(live ? ["frame-ancestors 'none'"] : []),
  ].join('; ');
}

export interface PageOptions {
  /** Live page: poll this URL (same origin) for fresh data; absent for a file. */
  readonly refreshUrl?: string;
  /** Live page: a logout button posting here. */
  readonly logoutUrl?: string;
  /** Live page: links to the same page over other periods, e.g. `[['1h', '/report?since=1h'], …]`. */
  readonly periods?: readonly (readonly [string, string])[];
}

export function renderReportPage(data: ReportData, options: PageOptions = {}): { html: string; nonce: string } {
  const { uplotJs, uplotCss, client } = loadAssets();
  const nonce = randomBytes(16).toString('base64');
  const live = options.refreshUrl !== undefined;
  const title = `Shadow comparison${data.route ? ` · ${data.route}` : ''}`;
  const periods = options.periods?.length
    ? `<nav class="periods">${options.periods.map(([label, href]) => `<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`).join('')}</nav>`
    : '';
  const logout = options.logoutUrl ? `<form method="post" action="${escapeHtml(options.logoutUrl)}" class="logout"><button type="submit">Log out</button></form>` : '';
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${live ? '' : `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(reportCsp(nonce, false))}">`}
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style nonce="${nonce}">${uplotCss}</style>
<style nonce="${nonce}">${REPORT_STYLES}</style>
</head>
<body>
<header class="top"><h1>${escapeHtml(title)}</h1><span id="generated"></span>${periods}${logout}</header>
<main id="app"><noscript>This report draws its charts and tables with JavaScript.</noscript></main>
<script type="application/json" id="report-data"${live ? ` data-refresh="${escapeHtml(options.refreshUrl!)}"` : ''}>${scriptSafeJson(data)}</script>
<script nonce="${nonce}">${uplotJs}</script>
<script nonce="${nonce}">${client}</script>
</body>
</html>
`;
  return { html, nonce };
}
