/**
 * The HTML report in a real browser (Debian's Chromium via playwright-core): the live page on the
 * admin port of a real proxy (with PostgreSQL) and the file written by `npm run report -- --html`.
 * Screenshots land in proxy/test-output/ (gitignored) for a human to look at.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPgPool, silentLogger, type PgPool } from '@smp/platform';
import { createTestDatabase, eventually, http, type TestDatabase } from '@smp/platform/testkit';
import type { Page } from 'playwright-core';
import { openBrowser, type TestBrowser, type WatchedPage } from './support/browser.js';
import { MARKUP, SEED_ROUTE, seedReport } from './support/report-seed.js';
import { NoiseCalibrator } from '../src/compare/noise-calibrator.js';
import { writeNoise } from '../src/report/noise-snapshots.js';
import { SHADOW_ADMIN_TOKEN, startShadowHarness, type ShadowHarness } from './support/shadow-harness.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(HERE, '../../test-output');
const CLI = path.resolve(HERE, '../src/cli/report.js');

/** What every report page must satisfy, whatever its origin. */
async function checkReport(w: WatchedPage): Promise<void> {
  const page: Page = w.page;
  await page.waitForSelector('body[data-rendered]');
  const charts = await page.$$eval('.chart', (els) => els.map((e) => ({ points: Number(e.getAttribute('data-points')), canvas: e.querySelectorAll('canvas').length })));
  assert.ok(charts.length >= 3, `${charts.length} charts`);
  for (const c of charts) assert.ok(c.points > 0 && c.canvas > 0, `a chart without data: ${JSON.stringify(charts)}`);
  const route = `#route-${SEED_ROUTE}`;
  // The known label flip: highlighted at prediction[0] on both sides of a sample, and listed as a differing field.
  assert.ok((await page.$$(`${route} details.sample .body.legacy .ln.diff[data-path="prediction[0]"]`)).length >= 1, 'legacy side not highlighted at prediction[0]');
  assert.ok((await page.$$(`${route} details.sample .body.candidate .ln.diff[data-path="prediction[0]"]`)).length >= 1, 'candidate side not highlighted at prediction[0]');
  const paths = await page.$$eval(`${route} table[id^="paths-"] tbody tr td:first-child`, (tds) => tds.map((t) => t.textContent));
  assert.ok(paths.includes('prediction[*]') && paths.includes('note'), `differing fields: ${paths.join(', ')}`);
  // Every differing path reaches a pair.
  const unreachable = await page.$$eval(`${route} table[id^="paths-"] tbody tr`, (rows) => rows.filter((r) => !r.querySelector('a.to-sample')).map((r) => r.textContent));
  assert.deepEqual(unreachable, []);
  // The markup sample is text: shown verbatim, nothing injected, nothing ran.
  const noteLines = await page.$$eval(`${route} .body.candidate .ln[data-path="note"]`, (els) => els.map((e) => e.textContent ?? ''));
  assert.ok(noteLines.some((t) => t.includes(JSON.stringify(MARKUP).slice(1, 30))), `markup not shown as text: ${noteLines.join(' | ')}`);
  // Each sample carries its request: the seeded markup pair shows its URL, a field of its body, and its markup as text.
  const markupSample = page.locator(`${route} details.sample`, { has: page.locator('.body.candidate .ln[data-path="note"]') }).first();
  assert.equal(await markupSample.locator('.request-url').textContent(), 'POST /api/v1/ml/predict?customer=cust-301&explain=true');
  const requestBody = (await markupSample.locator('pre.request-body').textContent()) ?? '';
  assert.ok(requestBody.includes('"customer_id": "cust-301"'), `request body not shown (pretty): ${requestBody}`);
  assert.ok(requestBody.includes(JSON.stringify(MARKUP).slice(1, 30)) && requestBody.includes('onerror='), `request markup not shown as text: ${requestBody}`);
  const urls = await page.$$eval(`${route} details.sample .request-url`, (els) => els.map((e) => e.textContent ?? ''));
  assert.ok(urls.length >= 2 && urls.every((u) => u.startsWith('POST /api/v1/ml/predict')), urls.join(' | '));
  assert.equal(await page.$$eval('main script, main img, main iframe', (els) => els.length), 0);
  assert.equal(await page.evaluate('window.__xss'), undefined);
  // Triggers shown with values; the timeline has the rollback with its evidence.
  assert.equal(await page.$$eval(`${route} tr.trigger`, (rows) => rows.length), 3);
  assert.ok((await page.textContent(`${route} ol.timeline`))?.includes('latency ratio 3.0 > 1.5'));
  // Every decision's evidence reads as criteria (the sequential judge's shape too), never as undefined.
  assert.ok(!((await page.textContent(`${route} ol.timeline`)) ?? '').includes('undefined'), 'no undefined in the timeline evidence');
  assert.deepEqual(w.problems(), []);
}

describe('HTML report in Chromium', function () {
  this.timeout(90_000);
  let browser: TestBrowser;
  let db: TestDatabase;
  let pool: PgPool;
  let h: ShadowHarness;

  before(async function () {
    browser = await openBrowser(this);
    await mkdir(OUT, { recursive: true });
    db = await createTestDatabase('report_html');
    h = await startShadowHarness({ env: { DATABASE_URL: db.url }, clockStart: Date.now(), candidate: { delayMs: 3, flipRate: 0.1, seed: 3 } });
    await eventually(() => assert.ok(h.sub.comparisons?.schemaReady), 10_000);
    pool = createPgPool(db.url, silentLogger('test'), { max: 2 });
    await seedReport(pool, h.clock.now);
    // The sequential judge decides on the flipping candidate (pass at the warm-up, or fail at once).
    await h.predictUntilRolledBack(2_000);
    await eventually(async () => {
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM proxy_route_events WHERE kind = 'judge-decision' AND actor = 'replica-test'`);
      assert.ok(rows[0].n >= 1, `${rows[0].n} judge decisions recorded`);
    }, 10_000);
  });

  after(async function () {
    await browser?.close();
    await h?.close();
    await pool?.end();
    await db?.drop();
  });

  it('answers 401 to /report and /report.json without the token (API clients), and serves them with the bearer token', async function () {
    for (const p of ['/report', '/report.json', `/report/${SEED_ROUTE}`]) {
      assert.equal((await http(`${h.proxy.adminUrl}${p}`)).status, 401, p);
      assert.equal((await http(`${h.proxy.adminUrl}${p}`, { headers: { cookie: 'smp_admin_session=99999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })).status, 401, p);
    }
    const json = await h.adminGet(`/report.json?route=${SEED_ROUTE}&since=2h`);
    assert.equal(json.status, 200);
    assert.equal((json.json as { routes: { route: string }[] }).routes[0].route, SEED_ROUTE);
    const html = await h.adminGet('/report');
    assert.match(String(html.headers['content-security-policy']), /script-src 'nonce-[^']+'/);
  });

  it('sends a browser to the login form; a wrong token is refused; the right one sets an HttpOnly, SameSite=Strict session', async function () {
    const w = await browser.page();
    await w.page.goto(`${h.proxy.adminUrl}/report/${SEED_ROUTE}?since=2h`);
    assert.match(w.page.url(), /\/login\?next=/);
    await w.page.fill('#token', 'wrong-token');
    await Promise.all([w.page.waitForLoadState(), w.page.click('button[type=submit]')]);
    assert.ok((await w.page.textContent('body'))?.includes('Wrong admin token'));
    await w.page.fill('#token', SHADOW_ADMIN_TOKEN);
    await Promise.all([w.page.waitForURL(/\/report\/ml-predict/), w.page.click('button[type=submit]')]);
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'smp_admin_session');
    assert.ok(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', JSON.stringify(cookie));
    await w.page.close();
  });

  it('live page: no console error, no request leaving 127.0.0.1, every chart has data, the known mismatch highlighted, markup stays text', async function () {
    const w = await browser.page();
    await w.page.goto(`${h.proxy.adminUrl}/report/${SEED_ROUTE}?since=2h`);
    await checkReport(w);
    await w.page.screenshot({ path: path.join(OUT, 'report-live.png'), fullPage: true });
    // Live state: the judge's verdict and the flags, and the decision recorded by this replica.
    assert.ok((await w.page.textContent('.tiles'))?.includes('100%'));
    // Differing fields: filterable and sortable.
    const table = `#route-${SEED_ROUTE} table[id^="paths-"]`;
    const firstColumn = () => w.page.$$eval(`${table} tbody tr td:first-child`, (tds) => tds.map((t) => t.textContent));
    assert.deepEqual(await firstColumn(), ['prediction[*]', 'note']);
    await w.page.click(`${table} th:first-child`);
    assert.deepEqual(await firstColumn(), ['prediction[*]', 'note']);
    await w.page.click(`${table} th:first-child`);
    assert.deepEqual(await firstColumn(), ['note', 'prediction[*]']);
    await w.page.fill(`#route-${SEED_ROUTE} input.filter`, 'pred');
    assert.deepEqual(await firstColumn(), ['prediction[*]']);
    await w.page.fill(`#route-${SEED_ROUTE} input.filter`, '');
    // What the page polls: same origin, with the session cookie, allowed by its CSP.
    assert.equal(await w.page.evaluate(`fetch(document.getElementById('report-data').getAttribute('data-refresh')).then((r) => r.status)`), 200);
    await w.page.close();
  });

  it('npm run report -- --html writes one self-contained file that renders from disk with no network', async function () {
    const dir = await mkdtemp(path.join(tmpdir(), 'report-file-'));
    const file = path.join(dir, 'report.html');
    // What a proxy's calibration wrote before it stopped: prediction[*] differed in 1 of 8 legacy pairs.
    const calibrator = new NoiseCalibrator();
    for (let i = 0; i < 8; i++) calibrator.observe(SEED_ROUTE, i === 0 ? [{ path: 'prediction[0]', generalized: 'prediction[*]', kind: 'value', control: 0, candidate: 1 }] : []);
    await writeNoise(pool, calibrator, SEED_ROUTE);
    try {
      const run = await new Promise<{ code: number; out: string }>((resolve) =>
        execFile(process.execPath, [CLI, '--html', file, '--since', '2h'], { env: { PATH: String(process.env.PATH), DATABASE_URL: db.url }, timeout: 30_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? 1 : 0, out: stdout + stderr }),
        ),
      );
      assert.equal(run.code, 0, run.out);
      const text = await readFile(file, 'utf8');
      assert.doesNotMatch(text, /<script[^>]*\ssrc=|<link[^>]*rel="?stylesheet/i);
      const w = await browser.page();
      await w.page.goto(`file://${file}`);
      await checkReport(w);
      assert.ok(w.requests.every((u) => u.startsWith('file:') || u.startsWith('data:')), w.requests.join('\n'));
      await w.page.screenshot({ path: path.join(OUT, 'report-file.png'), fullPage: true });
      // The noise column reads the recorded calibration (it was "–" with the proxy stopped).
      const fields = w.page.locator(`#route-${SEED_ROUTE} tr`, { hasText: 'prediction[*]' }).first();
      assert.match(await fields.innerText(), /12\.50%/);
      assert.match(await w.page.locator(`#route-${SEED_ROUTE} tr`, { hasText: 'note' }).first().innerText(), /0\.00%/);
      await fields.locator('xpath=ancestor::table').screenshot({ path: path.join(OUT, 'report-file-fields.png') });
      // The markup pair's sample, opened, for a look at how a request reads next to its two answers.
      const sample = w.page.locator(`#route-${SEED_ROUTE} details.sample`, { has: w.page.locator('.body.candidate .ln[data-path="note"]') }).first();
      await sample.evaluate((d) => d.setAttribute('open', ''));
      await sample.screenshot({ path: path.join(OUT, 'report-sample-request.png') });
      await w.page.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('records each flag change it observes in Unleash once, and shows it on the timeline', async function () {
    h.setFlags(0, 50);
    const changes = async () =>
      (await pool.query(`SELECT summary FROM proxy_route_events WHERE kind = 'flag-change' AND actor = 'replica-test' AND route = $1 ORDER BY id`, [SEED_ROUTE])).rows.map((r) => r.summary);
    await eventually(async () => assert.ok((await changes()).includes('migrate.ml-predict.shadow: on 100% → on 50%'), (await changes()).join('; ')), 10_000);
    h.setFlags(0, 50);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal((await changes()).filter((c) => c.includes('on 50%')).length, 1);
    const json = await h.adminGet(`/report.json?route=${SEED_ROUTE}&since=2h`);
    const route = (json.json as { routes: { current: { shadowPercent: number }; events: { summary: string }[] }[] }).routes[0];
    assert.equal(route.current.shadowPercent, 50);
    assert.ok(route.events.some((e) => e.summary === 'migrate.ml-predict.shadow: on 100% → on 50%'));
    h.setFlags(0, 100);
  });

  it('log out ends the session: the page sends the browser back to the login', async function () {
    const w = await browser.page();
    await w.page.goto(`${h.proxy.adminUrl}/report?since=2h`);
    await w.page.waitForSelector('body[data-rendered]');
    // Every route with a candidate, the overview first.
    assert.deepEqual(await w.page.$$eval('section.route h2', (hs) => hs.map((x) => x.textContent)), ['ml-predict', 'ml-write']);
    await w.page.screenshot({ path: path.join(OUT, 'report-all-routes.png'), fullPage: false });
    await Promise.all([w.page.waitForURL(/\/login/), w.page.click('form.logout button')]);
    await w.page.goto(`${h.proxy.adminUrl}/report`);
    assert.match(w.page.url(), /\/login\?next=/);
    await w.page.close();
  });
});
