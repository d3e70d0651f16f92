import assert from 'node:assert/strict';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { AppError, createLogger } from '@smp/platform';
import { eventually, http } from '@smp/platform/testkit';
import { bearerMatches } from '../src/admin/admin-server.js';
import { startHarness, testRoutes, type Harness } from './support/proxy-harness.js';
import { features } from './support/flag-features.js';

describe('admin port: auth, reload, health, plugged routes and status sections', function () {
  let h: Harness;

  before(async function () {
    h = await startHarness({
      flags: features({ 'migrate.moved.live': 100 }),
      hooks: {
        adminRoutes: [
          { method: 'POST', path: '/routes/:id/resume', handle: (req) => ({ body: { resumed: req.params.id, note: (req.body as { note?: string } | undefined)?.note ?? null } }) },
          {
            method: 'GET',
            path: '/boom/:kind',
            handle: (req) => {
              if (req.params.kind === 'app') throw new AppError('NOT_FOUND', "Route 'x' not found");
              throw new Error('secret internals');
            },
          },
        ],
        statusSections: [() => ({ judge: { 'ml-predict': 'pass' } })],
      },
    });
  });
  after(async function () {
    await h?.close();
  });

  const auth: Array<[string, Record<string, string>, number]> = [
    ['no Authorization header', {}, 401],
    ['a wrong token', { authorization: 'Bearer wrong-token' }, 401],
    ['the token without "Bearer"', { authorization: 'test-admin-token-0123456789' }, 401],
    ['the right token', { authorization: 'Bearer test-admin-token-0123456789' }, 200],
  ];
  for (const [what, headers, status] of auth) {
    it(`answers GET /status with ${status} for ${what}`, async function () {
      const res = await http(`${h.proxy.adminUrl}/status`, { headers });
      assert.equal(res.status, status);
      if (status === 401) assert.deepEqual(res.json, { detail: 'Not authenticated' });
    });
  }

  const tokens: Array<[string | undefined, string, boolean]> = [
    ['Bearer abc', 'abc', true],
    ['bearer abc', 'abc', true],
    ['Bearer abcd', 'abc', false],
    ['Bearer ', 'abc', false],
    [undefined, 'abc', false],
    ['Bearer abc', '', false],
  ];
  for (const [header, token, ok] of tokens) {
    it(`bearerMatches(${JSON.stringify(header)}, ${JSON.stringify(token)}) is ${ok}`, function () {
      assert.equal(bearerMatches(header, token), ok);
    });
  }

  it('answers GET /health without a token', async function () {
    const res = await http(`${h.proxy.adminUrl}/health`);
    assert.equal(res.status, 200);
    assert.equal(res.json.status, 'ok');
  });

  it('serves a plugged admin route with params and a JSON body, behind the token', async function () {
    assert.equal((await http(`${h.proxy.adminUrl}/routes/ml-predict/resume`, { method: 'POST' })).status, 401);
    const res = await http(`${h.proxy.adminUrl}/routes/ml-predict/resume`, { headers: h.adminHeaders, body: { note: 'fixed' } });
    assert.deepEqual(res.json, { resumed: 'ml-predict', note: 'fixed' });
  });

  it('maps AppErrors to their status and hides other errors behind a 500', async function () {
    const app = await http(`${h.proxy.adminUrl}/boom/app`, { headers: h.adminHeaders });
    assert.deepEqual([app.status, app.json], [404, { detail: "Route 'x' not found" }]);
    const other = await http(`${h.proxy.adminUrl}/boom/other`, { headers: h.adminHeaders });
    assert.deepEqual([other.status, other.json], [500, { detail: 'Internal Server Error' }]);
  });

  it('answers 404 for an unknown admin path and 405 for a wrong method', async function () {
    assert.equal((await http(`${h.proxy.adminUrl}/nope`, { headers: h.adminHeaders })).status, 404);
    assert.equal((await http(`${h.proxy.adminUrl}/reload`, { headers: h.adminHeaders })).status, 405);
  });

  it('adds plugged status sections to GET /status', async function () {
    const res = await http(`${h.proxy.adminUrl}/status`, { headers: h.adminHeaders });
    assert.deepEqual(res.json.judge, { 'ml-predict': 'pass' });
    assert.deepEqual(res.json.routes.map((r: { id: string }) => r.id), ['predict', 'write', 'models']);
  });

  it('refuses a reload with a bad file (422, every problem named) and keeps serving the old table', async function () {
    const good = await readFile(h.routesFile, 'utf8');
    await writeFile(h.routesFile, JSON.stringify({ routes: [{ id: 'x', match: { path: '/x' }, legacy: 'nowhere' }, { id: 'x', match: { path: '/y' }, legacy: 'legacy' }] }));
    const res = await http(`${h.proxy.adminUrl}/reload`, { method: 'POST', headers: h.adminHeaders });
    assert.equal(res.status, 422);
    assert.match(res.json.detail, /routes\[0\]\.legacy: unknown upstream "nowhere"/);
    assert.match(res.json.detail, /routes\[1\]\.id: duplicate id "x"/);
    const status = await http(`${h.proxy.adminUrl}/status`, { headers: h.adminHeaders });
    assert.equal(status.json.routeTable.version, 1);
    assert.match(status.json.routeTable.lastError.message, /unknown upstream/);
    const served = await http(`${h.proxy.url}/api/v1/ml/predict`, { body: {} });
    assert.equal(served.status, 200);
    await writeFile(h.routesFile, '{ not json');
    const broken = await http(`${h.proxy.adminUrl}/reload`, { method: 'POST', headers: h.adminHeaders });
    assert.equal(broken.status, 422);
    assert.match(broken.json.detail, /is not valid JSON/);
    await writeFile(h.routesFile, good);
    assert.match((await http(`${h.proxy.adminUrl}/metrics`, { headers: h.adminHeaders })).text, /proxy_route_reloads_total\{result="rejected"[^}]*\} 2/);
  });

  it('swaps in a good table on POST /reload: a new route sends /moved to the candidate', async function () {
    const routes = testRoutes() as { routes: object[] };
    routes.routes.push({ id: 'moved', match: { method: 'GET', path: '/moved' }, legacy: 'legacy', candidate: 'prediction', idempotent: true });
    assert.equal((await http(`${h.proxy.url}/moved`)).json.upstream, 'legacy');
    await writeFile(h.routesFile, JSON.stringify(routes));
    const res = await http(`${h.proxy.adminUrl}/reload`, { method: 'POST', headers: h.adminHeaders });
    assert.deepEqual(res.json, { status: 'reloaded', changed: true, version: 2, routes: 4 });
    assert.equal((await http(`${h.proxy.url}/moved`)).json.upstream, 'candidate');
    const again = await http(`${h.proxy.adminUrl}/reload`, { method: 'POST', headers: h.adminHeaders });
    assert.equal(again.json.status, 'unchanged');
  });
});

describe('route table hot reload on file change', function () {
  let h: Harness;

  before(async function () {
    h = await startHarness({ flags: features({ 'migrate.moved.live': 100 }), env: { PROXY_ROUTES_WATCH: 'true' } });
  });
  after(async function () {
    await h?.close();
  });

  it('picks up a file replaced by rename within 2 s, and ignores a bad one', async function () {
    const routes = testRoutes() as { routes: object[] };
    routes.routes.push({ id: 'moved', match: { method: 'GET', path: '/moved' }, legacy: 'legacy', candidate: 'prediction' });
    await writeFile(`${h.routesFile}.tmp`, JSON.stringify(routes));
    await rename(`${h.routesFile}.tmp`, h.routesFile);
    await eventually(async () => assert.equal((await http(`${h.proxy.url}/moved`)).json.upstream, 'candidate'), 2_000);
    await writeFile(h.routesFile, '{"routes": [{"id": 1}]}');
    await eventually(async () => {
      const status = await http(`${h.proxy.adminUrl}/status`, { headers: h.adminHeaders });
      assert.ok(status.json.routeTable.lastError, 'the bad file was seen and refused');
    }, 2_000);
    assert.equal((await http(`${h.proxy.url}/moved`)).json.upstream, 'candidate');
  });
});

describe('admin port without ADMIN_TOKEN', function () {
  let h: Harness;
  let logged = '';

  before(async function () {
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => (logged += c.toString()));
    h = await startHarness({ env: { ADMIN_TOKEN: '' }, logger: createLogger({ service: 'proxy', level: 'warn', stream }) });
  });
  after(async function () {
    await h?.close();
  });

  it('is never open: it generates a random token, logs it once, and accepts only that', async function () {
    await eventually(() => assert.match(logged, /ADMIN_TOKEN not set/));
    const token = JSON.parse(logged.split('\n').find((l) => l.includes('ADMIN_TOKEN not set'))!).admin_token as string;
    assert.ok(token.length >= 32);
    assert.equal((await http(`${h.proxy.adminUrl}/status`)).status, 401);
    assert.equal((await http(`${h.proxy.adminUrl}/status`, { headers: { authorization: 'Bearer ' } })).status, 401);
    assert.equal((await http(`${h.proxy.adminUrl}/status`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  });
});
