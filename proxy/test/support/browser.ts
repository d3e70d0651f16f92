/**
 * The system's Chromium (Debian's /usr/bin/chromium), driven by playwright-core: never a downloaded
 * browser. Every page is watched: console errors, page errors, dialogs and every request it makes.
 *
 *   const b = await openBrowser(this);            // skips (fails under CI=true) without a browser
 *   const w = await b.page();  await w.page.goto(url);  w.problems()  // [] when clean
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface WatchedPage {
  readonly page: Page;
  readonly requests: string[];
  readonly consoleErrors: string[];
  readonly dialogs: string[];
  /** Requests that left 127.0.0.1 (or the file itself / inline data), console errors, page errors, dialogs. */
  problems(): string[];
}

export interface TestBrowser {
  readonly context: BrowserContext;
  page(): Promise<WatchedPage>;
  close(): Promise<void>;
}

const local = (url: string) => {
  if (url.startsWith('data:') || url.startsWith('file:')) return true;
  try {
    return new URL(url).hostname === '127.0.0.1';
  } catch {
    return false;
  }
};

/** Start Chromium with a fresh profile; without the browser the test is skipped, or fails under CI=true. */
export async function openBrowser(ctx: Mocha.Context): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
    ctx.skip();
  }
  const profile = await mkdtemp(path.join(tmpdir(), 'report-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1440, height: 900 } });
  return {
    context,
    async page() {
      const page = await context.newPage();
      const requests: string[] = [];
      const consoleErrors: string[] = [];
      const dialogs: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(m.text());
      });
      page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      return {
        page,
        requests,
        consoleErrors,
        dialogs,
        problems: () => [...requests.filter((u) => !local(u)).map((u) => `request left 127.0.0.1: ${u}`), ...consoleErrors.map((e) => `console: ${e}`), ...dialogs.map((d) => `dialog: ${d}`)],
      };
    },
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
