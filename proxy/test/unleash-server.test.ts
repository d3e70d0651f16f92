import assert from 'node:assert/strict';
import { eventually, http } from '@smp/platform/testkit';
import { startHarness, type Harness } from './support/proxy-harness.js';
import { flagName } from '@smp/flags';
import { startTestUnleash, type TestUnleash } from '@smp/flags/test-unleash';

// The real migration flag of the ml-predict route, created (off, 0%) by the test server.
const FLAG = flagName('ml-predict', 'live');
const ROUTES = {
  routes: [{ id: 'ml-predict', match: { method: 'POST', path: '/api/v1/ml/predict' }, legacy: 'legacy', candidate: 'prediction', idempotent: true }],
};
const REFRESH_MS = 1000;

describe('flags from a real Unleash server (unleash-server on its own PostgreSQL database)', function () {
  this.timeout(120_000);
  let unleash: TestUnleash;
  let h: Harness;

  before(async function () {
    unleash = await startTestUnleash();
    await unleash.admin.enable(FLAG);
    h = await startHarness({
      realFlags: true,
      routes: ROUTES,
      env: { UNLEASH_URL: unleash.apiUrl, UNLEASH_API_TOKEN: unleash.clientToken, UNLEASH_REFRESH_MS: String(REFRESH_MS), UNLEASH_APP_NAME: 'proxy-test' },
    });
  });
  after(async function () {
    await h?.close();
    await unleash?.close();
  });

  async function sides(n: number): Promise<Record<string, number>> {
    const out: Record<string, number> = { legacy: 0, candidate: 0 };
    for (let i = 0; i < n; i++) {
      const res = await http(`${h.proxy.url}/api/v1/ml/predict`, { body: { i }, headers: { 'x-api-key': `key-${i}` } });
      assert.equal(res.status, 200);
      out[res.json.upstream] += 1;
    }
    return out;
  }

  it('routes 20 clients to legacy while the flag is at rollout=0', async function () {
    assert.deepEqual(await sides(20), { legacy: 20, candidate: 0 });
    const status = await http(`${h.proxy.adminUrl}/status`, { headers: h.adminHeaders });
    assert.equal(status.json.flags.mode, 'server');
    assert.equal(status.json.routes[0].flags.live.exists, true);
  });

  it(`sends every client to the candidate within the refresh interval (${REFRESH_MS} ms + one fetch) after rollout=100`, async function () {
    await unleash.admin.setRollout(FLAG, 100);
    const changed = Date.now();
    await eventually(async () => assert.deepEqual(await sides(1), { legacy: 0, candidate: 1 }), 10_000, 50);
    const took = Date.now() - changed;
    assert.ok(took <= REFRESH_MS + 1_500, `took ${took} ms`);
    assert.deepEqual(await sides(20), { legacy: 0, candidate: 20 });
    const status = await http(`${h.proxy.adminUrl}/status`, { headers: h.adminHeaders });
    assert.equal(status.json.routes[0].flags.live.percent, 100);
  });

  it('keeps routing unchanged with the Unleash server stopped (last known flags win) and reports the outage', async function () {
    await unleash.stop();
    await eventually(async () => {
      const status = await http(`${h.proxy.adminUrl}/status`, { headers: h.adminHeaders });
      assert.ok(status.json.flags.lastError, 'the failed fetch is visible on /status');
    }, 10_000, 100);
    assert.deepEqual(await sides(20), { legacy: 0, candidate: 20 });
  });
});
