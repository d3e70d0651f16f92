import assert from 'node:assert/strict';
import pg from 'pg';
import { http, testConfig } from '@smp/platform/testkit';
import { startMonolith, type MonolithUnderTest } from './support/monolith-harness.js';

const LEGACY_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

describe('monolith root, health and metrics', function () {
  let m: MonolithUnderTest;
  before(async function () {
    m = await startMonolith();
  });
  after(async function () {
    await m?.close();
  });

  it('GET / answers {"message":"Welcome to Smart Maintenance SaaS v0.1.0"}', async function () {
    const res = await http(`${m.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.text, '{"message":"Welcome to Smart Maintenance SaaS v0.1.0"}');
  });

  it('GET /health answers ok/ok/ok with a microsecond timestamp without offset, keys in legacy order', async function () {
    const res = await http(`${m.url}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json), ['status', 'database', 'redis', 'timestamp']);
    assert.deepEqual({ ...res.json, timestamp: undefined }, { status: 'ok', database: 'ok', redis: 'ok', timestamp: undefined });
    assert.match(res.json.timestamp, LEGACY_TS);
  });

  it('GET /health/db answers {"db_status":"connected"}', async function () {
    const res = await http(`${m.url}/health/db`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { db_status: 'connected' });
  });

  it('GET /health/redis answers healthy with INFO figures (memory_used like "1.02M", connected_clients a number string)', async function () {
    const res = await http(`${m.url}/health/redis`);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json), ['status', 'ping', 'memory_used', 'connected_clients']);
    assert.equal(res.json.status, 'healthy');
    assert.equal(res.json.ping, true);
    assert.match(res.json.memory_used, /^\d+(\.\d+)?[BKMG]$/);
    assert.match(res.json.connected_clients, /^\d+$/);
    assert.ok(Number(res.json.connected_clients) >= 1);
  });

  it('labels /metrics by route template: /api/v1/ml/models/:name/versions, never the raw name', async function () {
    await http(`${m.url}/api/v1/ml/models/secret-model-77/versions`);
    const res = await http(`${m.url}/metrics`);
    assert.match(res.text, /http_requests_total\{[^}]*handler="\/api\/v1\/ml\/models\/:name\/versions"[^}]*status="4xx"/);
    assert.doesNotMatch(res.text, /secret-model-77/);
    assert.match(res.text, /http_request_duration_seconds_bucket\{[^}]*handler="\/health"/);
    assert.match(res.text, /process_cpu_user_seconds_total/);
  });
});

describe('monolith health with failing dependencies', function () {
  it('without Redis: /health 200 degraded, /health/redis 503 "Redis connection error: REDIS_URL is not set"', async function () {
    const m = await startMonolith({ redis: false });
    try {
      const health = await http(`${m.url}/health`);
      assert.equal(health.status, 200);
      assert.equal(health.json.status, 'degraded');
      assert.equal(health.json.database, 'ok');
      assert.equal(health.json.redis, 'failed');
      const redis = await http(`${m.url}/health/redis`);
      assert.equal(redis.status, 503);
      assert.deepEqual(redis.json, { detail: 'Redis connection error: REDIS_URL is not set' });
    } finally {
      await m.close();
    }
  });

  it('with HEALTHCHECK_ENFORCE_DEPENDENCIES=true and no Redis: /health 503 with the same object under detail', async function () {
    const m = await startMonolith({ redis: false, env: { HEALTHCHECK_ENFORCE_DEPENDENCIES: 'true' } });
    try {
      const res = await http(`${m.url}/health`);
      assert.equal(res.status, 503);
      assert.deepEqual(Object.keys(res.json.detail), ['status', 'database', 'redis', 'timestamp']);
      assert.equal(res.json.detail.status, 'degraded');
      assert.equal(res.json.detail.redis, 'failed');
    } finally {
      await m.close();
    }
  });

  it('with the database gone: /health says "database":"failed", /health/db 503 "Database connection error: …"', async function () {
    const m = await startMonolith({ redis: false });
    const admin = new pg.Client({ connectionString: testConfig.DATABASE_URL });
    await admin.connect();
    try {
      // Forbid new connections and cut the open ones: the database is "down" for the monolith.
      await admin.query(`ALTER DATABASE ${m.db.name} ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [m.db.name]);
      const health = await http(`${m.url}/health`);
      assert.equal(health.status, 200);
      assert.equal(health.json.database, 'failed');
      const db = await http(`${m.url}/health/db`);
      assert.equal(db.status, 503);
      assert.match(db.json.detail, /^Database connection error: .+/);
    } finally {
      await admin.query(`ALTER DATABASE ${m.db.name} ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin.end();
      await m.close();
    }
  });
});
