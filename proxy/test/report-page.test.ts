/**
 * The HTML report's parts without a browser: the pure pieces as tables (triggers, flag states,
 * escaping, sessions, per-minute series, label rollups) and, on a real PostgreSQL, the route
 * event writer's deduplication across replicas and the report data built from recorded pairs.
 */
import assert from 'node:assert/strict';
import { createPgPool, silentLogger, type PgPool } from '@smp/platform';
import { createTestDatabase, http, type TestDatabase } from '@smp/platform/testkit';
import type { FeatureInterface } from 'unleash-client/lib/feature.js';
import { safeNext, sessionCookieValue, sessionValid, SESSION_COOKIE, SESSION_TTL_S } from '../src/admin/admin-session.js';
import { flagChangeObserver, flagState } from '../src/report/flag-change-events.js';
import { escapeHtml, scriptSafeJson } from '../src/report/html/report-page.js';
import { rollUpLabels } from '../src/report/label-rollup.js';
import { emptyHistogram, record } from '../src/report/latency-histogram.js';
import { migrationTriggers } from '../src/report/migration-triggers.js';
import { buildReportData, seriesOf } from '../src/report/report-data.js';
import { NoiseSnapshots, readNoise, writeNoise } from '../src/report/noise-snapshots.js';
import { NoiseCalibrator } from '../src/compare/noise-calibrator.js';
import type { Diff } from '../src/compare/json-diff.js';
import { migrateReportSchema } from '../src/report/report-schema.js';
import { listRouteEvents, RouteEventWriter, type RouteEvent } from '../src/report/route-events.js';
import { MARKUP, SEED_ROUTE, seedRecords, seedReport } from './support/report-seed.js';
import { SHADOW_ADMIN_TOKEN, startShadowHarness, type ShadowHarness } from './support/shadow-harness.js';

const feature = (enabled: boolean, rollout: number, variants: { name: string; weight: number }[] = []): FeatureInterface =>
  ({ name: 'f', enabled, strategies: [{ name: 'flexibleRollout', parameters: { rollout: String(rollout) }, constraints: [] }], variants }) as unknown as FeatureInterface;

describe('report parts', function () {
  const triggerCases: Array<[string, Parameters<typeof migrationTriggers>[0], Array<boolean | null>, Array<number | null>]> = [
    ['nothing measured yet', { legacyP95Ms: null, peakPairsPerMinute: null, shadowPercent: null, automaticRollbacks30d: 0 }, [null, null, false], [null, null, 0]],
    ['slow legacy, 10% shadow of 1,500 pairs/min, 3 rollbacks', { legacyP95Ms: 62, peakPairsPerMinute: 1_500, shadowPercent: 10, automaticRollbacks30d: 3 }, [true, true, true], [62, 250, 3]],
    ['exactly at the thresholds: > is not met, ≥ is', { legacyP95Ms: 50, peakPairsPerMinute: 12_000, shadowPercent: 100, automaticRollbacks30d: 2 }, [false, false, false], [50, 200, 2]],
    ['shadow off: the rate is unknown', { legacyP95Ms: 20, peakPairsPerMinute: 600, shadowPercent: 0, automaticRollbacks30d: 0 }, [false, null, false], [20, null, 0]],
  ];
  for (const [name, input, met, values] of triggerCases) {
    it(`migration triggers: ${name}`, function () {
      const t = migrationTriggers(input);
      assert.deepEqual(
        t.map((x) => x.met),
        met,
      );
      assert.deepEqual(
        t.map((x) => x.value),
        values,
      );
    });
  }

  const flagCases: Array<[string, FeatureInterface | undefined, string]> = [
    ['missing', undefined, 'missing'],
    ['disabled', feature(false, 50), 'off'],
    ['30%', feature(true, 30), 'on 30%'],
    ['variants', feature(true, 100, [{ name: 'v2', weight: 500 }, { name: 'v3', weight: 500 }]), 'on 100% variants v2:500,v3:500'],
  ];
  for (const [name, def, state] of flagCases) {
    it(`flag state: ${name} -> ${state}`, function () {
      assert.equal(flagState(def), state);
    });
  }

  it('flag observer: enqueues each flag once, then only its changes; a flag not there yet is not news, a deleted one is', function () {
    const defs = new Map<string, FeatureInterface>([
      ['migrate.r.live', feature(true, 10)],
      ['migrate.r.shadow', feature(true, 100)],
    ]);
    const got: RouteEvent[] = [];
    const observe = flagChangeObserver({ routes: () => [{ routeId: 'r', flags: ['migrate.r.live', 'migrate.r.shadow'] }], definition: (f) => defs.get(f), enqueue: (e) => got.push(e), actor: 'a', now: () => 1 });
    const shadow = defs.get('migrate.r.shadow')!;
    defs.delete('migrate.r.shadow');
    observe();
    observe();
    defs.set('migrate.r.live', feature(true, 30));
    defs.set('migrate.r.shadow', shadow);
    observe();
    defs.delete('migrate.r.live');
    observe();
    assert.deepEqual(
      got.map((e) => e.summary),
      ['migrate.r.live: on 10%', 'migrate.r.live: on 10% → on 30%', 'migrate.r.shadow: on 100%', 'migrate.r.live: on 30% → missing'],
    );
  });

  it('escaping: the JSON island cannot close its script element; text is entity-escaped', function () {
    const island = scriptSafeJson({ body: `</script><script>alert(1)</script><!-- \u2028` });
    assert.doesNotMatch(island, /<|>|\u2028/);
    assert.deepEqual(JSON.parse(island), { body: `</script><script>alert(1)</script><!-- \u2028` });
    assert.equal(escapeHtml(`<img src=x onerror="a('1')">&`), '&lt;img src=x onerror=&quot;a(&#39;1&#39;)&quot;&gt;&amp;');
  });

  it('sessions: valid until expiry, bound to the token, tamper-proof; only same-origin paths as next', function () {
    const now = 1_700_000_000_000;
    const cookie = `${SESSION_COOKIE}=${sessionCookieValue('tok', now)}`;
    assert.equal(sessionValid(cookie, 'tok', now), true);
    assert.equal(sessionValid(`a=b; ${cookie}`, 'tok', now + (SESSION_TTL_S - 1) * 1000), true);
    assert.equal(sessionValid(cookie, 'tok', now + SESSION_TTL_S * 1000 + 1), false);
    assert.equal(sessionValid(cookie, 'other-token', now), false);
    const [, value] = cookie.split('=');
    const [expiry, mac] = value.split('.');
    assert.equal(sessionValid(`${SESSION_COOKIE}=${Number(expiry) + 9_999}.${mac}`, 'tok', now), false);
    assert.equal(sessionValid(undefined, 'tok', now), false);
    assert.equal(sessionValid(cookie, '', now), false);
    assert.deepEqual(
      ['/report/ml-predict?since=1h', '//evil.example/x', 'https://evil.example', '/\\evil', 42].map(safeNext),
      ['/report/ml-predict?since=1h', '/report', '/report', '/report', '/report'],
    );
  });

  it('series: per-minute mismatch rate and p50/p99 from the histograms; the CDF ends at 1', function () {
    const h = (ms: number[]) => {
      const x = emptyHistogram();
      for (const m of ms) record(x, m);
      return x;
    };
    const rows = [
      { route: 'r', t: '60', pairs: 10, matches: 9, mismatches: 1, lh: h([2, 2, 2, 2, 2, 2, 2, 2, 2, 40]), ch: h([4, 4, 4, 4, 4, 4, 4, 4, 4, 4]) },
      { route: 'r', t: '60', pairs: 10, matches: 10, mismatches: 0, lh: h([2, 2, 2, 2, 2, 2, 2, 2, 2, 2]), ch: h([4, 4, 4, 4, 4, 4, 4, 4, 4, 4]) },
      { route: 'r', t: '120', pairs: 4, matches: 0, mismatches: 0, lh: emptyHistogram(), ch: emptyHistogram() },
    ];
    const { series, cdf } = seriesOf(rows);
    assert.deepEqual(series.t, [60, 120]);
    assert.deepEqual(series.pairs, [20, 4]);
    assert.deepEqual(series.mismatchRate, [0.05, null]);
    assert.ok(Math.abs(series.legacyP50[0]! / 2 - 1) < 0.1 && Math.abs(series.legacyP99[0]! / 40 - 1) < 0.1 && Math.abs(series.candidateP50[0]! / 4 - 1) < 0.1);
    assert.equal(series.legacyP50[1], null);
    assert.equal(cdf.legacy.at(-1), 1);
    assert.equal(cdf.candidate.at(-1), 1);
    assert.ok(cdf.ms.every((x, i) => i === 0 || x > cdf.ms[i - 1]));
  });

  it('label rollup: the confusion matrix of the seeded pairs (every 20th label flipped)', function () {
    const cells = rollUpLabels(seedRecords(Date.UTC(2026, 0, 1), 600));
    const sum = (l: string, c: string) => cells.filter((x) => x.legacy === l && x.candidate === c).reduce((a, x) => a + x.count, 0);
    assert.equal(sum('0', '0') + sum('0', '1') + sum('1', '0') + sum('1', '1'), 600);
    assert.equal(sum('0', '1') + sum('1', '0'), 30);
  });
});

describe('report data on PostgreSQL', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let pool: PgPool;
  const now = Date.UTC(2026, 0, 1, 12);

  before(async function () {
    db = await createTestDatabase('report_data');
    pool = createPgPool(db.url, silentLogger('test'), { max: 4 });
    await migrateReportSchema(pool);
    await seedReport(pool, now);
  });
  after(async function () {
    await pool?.end();
    await db?.drop();
  });

  it('two replicas observing the same flag changes store one row per change; a later change back is stored again', async function () {
    const writers = [new RouteEventWriter({ pool, logger: silentLogger('a'), flushMs: 60_000 }), new RouteEventWriter({ pool, logger: silentLogger('b'), flushMs: 60_000 })];
    const ev = (actor: string, state: string, at: number): RouteEvent => ({ at, route: 'dedup', kind: 'flag-change', actor, subject: 'migrate.dedup.live', state, summary: state });
    writers.forEach((w, i) => {
      w.enqueue(ev(`r${i}`, 'on 10%', now));
      w.enqueue(ev(`r${i}`, 'on 30%', now + 1_000));
    });
    await Promise.all(writers.map((w) => w.flush()));
    writers[1].enqueue(ev('r1', 'on 10%', now + 2_000));
    await Promise.all(writers.map((w) => w.close()));
    const stored = await listRouteEvents(pool, { route: 'dedup', since: new Date(0), limit: 10 });
    assert.deepEqual(
      stored.map((e) => e.summary).reverse(),
      ['on 10%', 'on 30%', 'on 10%'],
    );
  });

  it('the file report shows each path\'s noise rate from the calibration the proxy wrote; a rewrite replaces it', async function () {
    const fileReport = async () => (await buildReportData(pool, { since: new Date(now - 3_600_000), now: new Date(now), route: SEED_ROUTE })).routes[0];
    assert.deepEqual((await fileReport()).paths.map((p) => p.noise), [null, null], 'nothing calibrated yet: unknown, not 0');
    const calibrator = new NoiseCalibrator();
    const diff = (path: string): Diff => ({ path, generalized: path, kind: 'value', control: 1, candidate: 2 });
    for (let i = 0; i < 10; i++) calibrator.observe(SEED_ROUTE, i === 0 ? [diff('prediction[*]'), diff('request_id')] : [diff('request_id')]);
    await writeNoise(pool, calibrator, SEED_ROUTE);
    assert.deepEqual(
      (await fileReport()).paths.map((p) => [p.path, p.noise]),
      [
        ['prediction[*]', 0.1],
        ['note', 0],
      ],
    );
    const stored = await readNoise(pool, SEED_ROUTE);
    assert.deepEqual([stored?.samples, stored?.rates], [10, { 'prediction[*]': 0.1, request_id: 1 }]);
    // A restarted proxy's calibrator starts again: its write replaces the route's rows whole.
    const fresh = new NoiseCalibrator();
    fresh.observe(SEED_ROUTE, [diff('request_id')]);
    const snapshots = new NoiseSnapshots({ calibrator: fresh, pool: () => pool, ready: () => true, logger: silentLogger('t') });
    await snapshots.close();
    assert.deepEqual(await readNoise(pool, SEED_ROUTE).then((n) => [n?.samples, n?.rates]), [1, { request_id: 1 }]);
    await pool.query('DELETE FROM proxy_noise_calibration');
  });

  it('builds the route report from rollups: counts, paths with examples reachable as samples, labels, events, triggers', async function () {
    const data = await buildReportData(pool, { since: new Date(now - 3_600_000), now: new Date(now), route: SEED_ROUTE });
    const r = data.routes[0];
    assert.equal(r.summary?.pairs, 600);
    assert.equal(r.summary?.mismatches, 31);
    assert.deepEqual(
      r.paths.map((p) => [p.path, p.count]),
      [
        ['prediction[*]', 30],
        ['note', 1],
      ],
    );
    for (const p of r.paths) assert.ok(r.samples.some((s) => s.diffs.some((d) => d.generalized === p.path)), `no sample for ${p.path}`);
    assert.ok(r.samples.some((s) => s.candidateBody?.includes(JSON.stringify(MARKUP))));
    assert.equal(r.labels.reduce((a, l) => a + l.count, 0), 600);
    assert.equal(r.series.t.length, 30);
    assert.deepEqual(
      r.events.map((e) => e.kind),
      ['judge-decision', 'judge-decision', 'flag-change'],
    );
    assert.deepEqual(
      r.rollbacks.map((e) => e.kind),
      ['resume', 'rollback'],
    );
    assert.equal(r.current.source, 'recorded');
    assert.equal(r.current.rollback?.state, 'resumed');
    assert.equal(r.current.judge?.verdict, 'inconclusive');
    assert.deepEqual(
      r.triggers.map((t) => [t.name, t.met]),
      [
        ['legacy P95', false],
        ['request rate', false],
        ['automatic rollbacks', false],
      ],
    );
  });
});

describe('admin login over HTTP (no browser)', function () {
  this.timeout(20_000);
  let h: ShadowHarness;
  before(async function () {
    h = await startShadowHarness();
  });
  after(async function () {
    await h?.close();
  });
  const form = (fields: Record<string, string>) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

  it('a browser without a session is sent to /login; the form refuses a wrong token and sets an HttpOnly, SameSite=Strict cookie for the right one', async function () {
    const page = await http(`${h.proxy.adminUrl}/report/ml-predict?since=2h`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 303);
    assert.equal(page.headers.location, `/login?next=${encodeURIComponent('/report/ml-predict?since=2h')}`);
    const login = await http(`${h.proxy.adminUrl}/login?next=%2Freport`);
    assert.equal(login.status, 200);
    assert.match(login.text, /<form method="post" action="\/login">/);
    const wrong = await http(`${h.proxy.adminUrl}/login`, form({ token: 'nope', next: '/report' }));
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers['set-cookie'], undefined);
    const right = await http(`${h.proxy.adminUrl}/login`, form({ token: SHADOW_ADMIN_TOKEN, next: '//evil.example/' }));
    assert.equal(right.status, 303);
    assert.equal(right.headers.location, '/report');
    const cookie = String(right.headers['set-cookie']);
    assert.match(cookie, /^smp_admin_session=\d+\.[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    const session = cookie.split(';')[0];
    // The cookie opens the browser pages (503 here: no DATABASE_URL), never the JSON API.
    assert.equal((await http(`${h.proxy.adminUrl}/report`, { headers: { cookie: session } })).status, 503);
    assert.equal((await http(`${h.proxy.adminUrl}/status`, { headers: { cookie: session } })).status, 401);
    assert.equal((await http(`${h.proxy.adminUrl}/routes/ml-predict/resume`, { method: 'POST', headers: { cookie: session } })).status, 401);
    const out = await http(`${h.proxy.adminUrl}/logout`, { method: 'POST' });
    assert.equal(out.status, 303);
    assert.match(String(out.headers['set-cookie']), /^smp_admin_session=; .*Max-Age=0$/);
  });
});
