import assert from 'node:assert/strict';
import { http } from '@smp/platform/testkit';
import { startMonolith, type MonolithUnderTest } from './support/monolith-harness.js';

describe('legacy X-API-Key auth on the monolith', function () {
  describe('with API_KEYS=key-a,key-b and anonymous access off', function () {
    let m: MonolithUnderTest;
    before(async function () {
      m = await startMonolith({ env: { API_KEYS: 'key-a,key-b', API_KEY: 'key-c', ALLOW_ANONYMOUS_API_ACCESS: 'false' }, redis: false });
    });
    after(async function () {
      await m?.close();
    });

    const routes: Array<[string, string, object | undefined]> = [
      ['POST', '/api/v1/data/ingest', { sensor_id: 's', value: 1 }],
      ['GET', '/api/v1/sensors/readings', undefined],
      ['GET', '/api/v1/sensors/sensors', undefined],
      ['POST', '/api/v1/ml/predict', {}],
      ['POST', '/api/v1/ml/detect_anomaly', {}],
      ['POST', '/api/v1/ml/check_drift', {}],
      ['GET', '/api/v1/ml/models', undefined],
      ['GET', '/api/v1/ml/models/x/versions', undefined],
      ['GET', '/api/v1/ml/models/x/latest', undefined],
      ['POST', '/api/v1/decisions/submit', {}],
      ['GET', '/api/v1/decisions', undefined],
      ['POST', '/api/v1/reports/generate', {}],
    ];
    for (const [method, path, body] of routes) {
      it(`${method} ${path}: no key -> 403 "Not authenticated: API key required.", key "wrong" -> 403 "Could not validate credentials: Invalid API key."`, async function () {
        const none = await http(`${m.url}${path}`, { method, body });
        assert.equal(none.status, 403);
        assert.deepEqual(none.json, { detail: 'Not authenticated: API key required.' });
        const wrong = await http(`${m.url}${path}`, { method, body, headers: { 'x-api-key': 'wrong' } });
        assert.equal(wrong.status, 403);
        assert.deepEqual(wrong.json, { detail: 'Could not validate credentials: Invalid API key.' });
      });
    }

    it('checks the key before the body: an invalid body without a key is 403, with key-b it is 422', async function () {
      const without = await http(`${m.url}/api/v1/data/ingest`, { method: 'POST', body: {} });
      assert.equal(without.status, 403);
      const withKey = await http(`${m.url}/api/v1/data/ingest`, { method: 'POST', body: {}, headers: { 'x-api-key': 'key-b' } });
      assert.equal(withKey.status, 422);
    });

    it('accepts API_KEY (key-c) as well as API_KEYS', async function () {
      const res = await http(`${m.url}/api/v1/sensors/sensors`, { headers: { 'x-api-key': 'key-c' } });
      assert.equal(res.status, 200);
    });

    const open = ['/', '/health', '/health/db', '/metrics', '/api/v1/ml/health'];
    for (const path of open) {
      it(`serves ${path} without a key (not 403)`, async function () {
        const res = await http(`${m.url}${path}`);
        assert.notEqual(res.status, 403, res.text);
      });
    }

    it('serves POST /api/v1/simulate/normal-data?num_samples=3 without a key', async function () {
      const res = await http(`${m.url}/api/v1/simulate/normal-data?num_samples=3`, { method: 'POST' });
      assert.equal(res.status, 200, res.text);
    });

    it('answers an unknown path 404 even with a wrong key, as FastAPI did', async function () {
      const res = await http(`${m.url}/api/v1/nothing`, { headers: { 'x-api-key': 'wrong' } });
      assert.equal(res.status, 404);
      assert.deepEqual(res.json, { detail: 'Not Found' });
    });
  });

  describe('with the defaults (anonymous allowed, no keys configured)', function () {
    let m: MonolithUnderTest;
    before(async function () {
      m = await startMonolith({ redis: false });
    });
    after(async function () {
      await m?.close();
    });

    it('lets a request without a key through (200) but refuses any presented key with 403', async function () {
      assert.equal((await http(`${m.url}/api/v1/sensors/sensors`)).status, 200);
      const res = await http(`${m.url}/api/v1/sensors/sensors`, { headers: { 'x-api-key': 'anything' } });
      assert.equal(res.status, 403);
      assert.deepEqual(res.json, { detail: 'Could not validate credentials: Invalid API key.' });
    });

    it('treats an empty X-API-Key header as no key (200)', async function () {
      assert.equal((await http(`${m.url}/api/v1/sensors/sensors`, { headers: { 'x-api-key': '' } })).status, 200);
    });
  });
});
