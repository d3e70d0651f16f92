import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import express from 'express';
import { http } from '../src/testkit/index.js';
import {
  acceptedApiKeys,
  ApiKeyVerifier,
  authEnv,
  AppError,
  createApiKeyAuth,
  finishHttpApp,
  isAuthExemptPath,
  listen,
  loadConfig,
  silentLogger,
  z,
  type RunningService,
} from '../src/index.js';

describe('legacy X-API-Key auth', function () {
  describe('configuration', function () {
    const schema = z.object(authEnv);
    const cases: Array<[Record<string, string>, string[], boolean]> = [
      [{}, [], true],
      [{ API_KEYS: 'a, b,,c' }, ['a', 'b', 'c'], true],
      [{ API_KEY: 'main', API_KEYS: 'a,main' }, ['main', 'a'], true],
      [{ API_KEY: '', ALLOW_ANONYMOUS_API_ACCESS: 'false' }, [], false],
      [{ ALLOW_ANONYMOUS_API_ACCESS: '0' }, [], false],
    ];
    for (const [env, keys, anonymous] of cases) {
      it(`reads ${JSON.stringify(env)} as keys ${JSON.stringify(keys)}, anonymous=${anonymous}`, function () {
        const config = loadConfig(schema, env);
        assert.deepEqual(acceptedApiKeys(config), keys);
        assert.equal(config.ALLOW_ANONYMOUS_API_ACCESS, anonymous);
      });
    }
  });

  describe('verifier', function () {
    const cases: Array<[boolean, string | undefined, string]> = [
      [true, undefined, 'anonymous'],
      [true, '', 'anonymous'],
      [false, undefined, '403 Not authenticated: API key required.'],
      [false, '', '403 Not authenticated: API key required.'],
      [true, 'k2', 'key'],
      [false, 'k1', 'key'],
      [true, 'nope', '403 Could not validate credentials: Invalid API key.'],
      [false, 'k1 ', '403 Could not validate credentials: Invalid API key.'],
      [true, 'k', '403 Could not validate credentials: Invalid API key.'],
    ];
    for (const [anonymous, presented, expected] of cases) {
      it(`with keys k1,k2 and anonymous=${anonymous}, key ${JSON.stringify(presented)} -> ${expected}`, function () {
        const verifier = new ApiKeyVerifier(['k1', 'k2'], anonymous);
        let outcome: string;
        try {
          outcome = verifier.verify(presented).kind;
        } catch (err) {
          assert.ok(err instanceof AppError);
          outcome = `${err.status} ${String(err.detail)}`;
        }
        assert.equal(outcome, expected);
      });
    }
  });

  describe('exempt paths', function () {
    const cases: Array<[string, boolean]> = [
      ['/', true],
      ['/health', true],
      ['/health/db', true],
      ['/health/redis', true],
      ['/metrics', true],
      ['/api/v1/ml/health', true],
      ['/api/v1/simulate/drift-event', true],
      ['/api/v1/simulate', false],
      ['/api/v1/data/ingest', false],
      ['/api/v1/ml/models', false],
      ['/metrics/extra', false],
    ];
    for (const [path, exempt] of cases) {
      it(`${path} ${exempt ? 'needs no key' : 'needs a key'}`, function () {
        assert.equal(isAuthExemptPath(path), exempt);
      });
    }
  });

  describe('middleware in an express app', function () {
    let running: RunningService;
    before(async function () {
      const app = express();
      app.use(createApiKeyAuth({ keys: ['secret'], allowAnonymous: false }));
      app.get('/health', (_req, res) => void res.json({ ok: true }));
      app.get('/api/v1/things', (_req, res) => void res.json({ ok: true }));
      finishHttpApp(app, { logger: silentLogger() });
      running = await listen(createServer(app), { port: 0, host: '127.0.0.1' });
    });
    after(async function () {
      await running?.close();
    });

    it('answers 403 "Not authenticated: API key required." without a key, 200 with "secret", 200 on /health', async function () {
      const none = await http(`${running.url}/api/v1/things`);
      assert.equal(none.status, 403);
      assert.deepEqual(none.json, { detail: 'Not authenticated: API key required.' });
      const wrong = await http(`${running.url}/api/v1/things`, { headers: { 'x-api-key': 'guess' } });
      assert.equal(wrong.status, 403);
      assert.deepEqual(wrong.json, { detail: 'Could not validate credentials: Invalid API key.' });
      const good = await http(`${running.url}/api/v1/things`, { headers: { 'x-api-key': 'secret' } });
      assert.equal(good.status, 200);
      const health = await http(`${running.url}/health`);
      assert.equal(health.status, 200);
    });
  });
});
