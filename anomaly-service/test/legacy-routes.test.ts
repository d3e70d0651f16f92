import assert from 'node:assert/strict';
import { silentLogger, type RunningService } from '@smp/platform';
import { awaitRoomInMinute, http } from '@smp/platform/testkit';
import { isConnectionError } from '../src/store/legacy-tables.js';
import { parseConfig, start } from '../src/index.js';
import { insertReadings, startAnomalyStack, type AnomalyStack } from './support/anomaly-harness.js';

const READING = Object.freeze({ sensor_id: 'pump-7', value: 97.5, sensor_type: 'temperature', unit: 'C' });

describe('anomaly-service legacy routes', function () {
  this.timeout(30_000);

  describe('on a database where the monolith has not created its tables yet', function () {
    let s: AnomalyStack;
    before(async function () {
      s = await startAnomalyStack();
    });
    after(async function () {
      await s?.close();
    });

    it('starts, and /health says degraded with sensor_readings and anomaly_alerts missing', async function () {
      const res = await http(`${s.url}/health`);
      assert.equal(res.status, 200);
      assert.equal(res.json.status, 'degraded');
      assert.equal(res.json.database, 'ok');
      assert.equal(res.json.redis, 'ok');
      assert.equal(res.json.tables, 'failed');
      assert.deepEqual(res.json.missing_tables, ['sensor_readings', 'anomaly_alerts']);
      assert.equal(res.json.migrations, 'ok');
      assert.deepEqual(Object.keys(res.json), ['status', 'database', 'redis', 'tables', 'missing_tables', 'migrations', 'model_registry', 'timestamp']);
      assert.match(res.json.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    });

    it('answers detect_anomaly and check_drift with 503 naming the missing table', async function () {
      const detail = "Database schema not ready: table sensor_readings does not exist (created by the legacy monolith's migrations)";
      const detect = await http(`${s.url}/api/v1/ml/detect_anomaly`, { body: { sensor_readings: [READING] } });
      assert.equal(detect.status, 503);
      assert.deepEqual(detect.json, { detail });
      const drift = await http(`${s.url}/api/v1/ml/check_drift`, { body: { sensor_id: 'pump-7' } });
      assert.equal(drift.status, 503);
      assert.deepEqual(drift.json, { detail });
      const history = await http(`${s.url}/api/v1/anomaly/history`);
      assert.equal(history.status, 503);
      assert.match(history.json.detail, /table anomaly_alerts does not exist/);
    });

    it('still validates first: a body without sensor_id is a 422, not a 503', async function () {
      const res = await http(`${s.url}/api/v1/ml/check_drift`, { body: {} });
      assert.equal(res.status, 422);
      assert.equal(res.text, '{"detail":"Request validation failed: body → sensor_id: Field required"}');
    });

    it('serves once the monolith migrated, without a restart', async function () {
      await s.applyLegacySchema();
      const health = await http(`${s.url}/health`);
      assert.equal(health.json.tables, 'ok');
      assert.deepEqual(health.json.missing_tables, []);
      const detect = await http(`${s.url}/api/v1/ml/detect_anomaly`, { body: { sensor_readings: [READING] } });
      assert.equal(detect.status, 200, detect.text);
      assert.equal(detect.json.total_readings_analyzed, 1);
    });
  });

  describe('with PostgreSQL unreachable (port 1)', function () {
    let running: RunningService;
    before(async function () {
      running = await start({ config: parseConfig({ LOG_LEVEL: 'error', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }), port: 0, logger: silentLogger() });
    });
    after(async function () {
      await running?.close();
    });

    it('still starts; /health answers 200 degraded with database, tables and migrations failed', async function () {
      const res = await http(`${running.url}/health`);
      assert.equal(res.status, 200);
      assert.equal(res.json.status, 'degraded');
      assert.equal(res.json.database, 'failed');
      assert.equal(res.json.tables, 'failed');
      assert.equal(res.json.missing_tables, null);
      assert.equal(res.json.migrations, 'failed');
    });

    const calls: Array<[string, string, object | undefined]> = [
      ['detect_anomaly with its own sensitivity', '/api/v1/ml/detect_anomaly', { sensor_readings: [READING], sensitivity: 0.5 }],
      ['detect_anomaly without sensitivity', '/api/v1/ml/detect_anomaly', { sensor_readings: [READING] }],
      ['check_drift', '/api/v1/ml/check_drift', { sensor_id: 'pump-7', p_value_threshold: 0.05 }],
      ['GET history', '/api/v1/anomaly/history', undefined],
    ];
    for (const [name, path, body] of calls) {
      it(`answers ${name} with 503 "Database unavailable: …"`, async function () {
        const res = await http(`${running.url}${path}`, { body });
        assert.equal(res.status, 503, res.text);
        assert.match(res.json.detail, /^Database unavailable: /);
      });
    }

    const errors: Array<[string, object, boolean]> = [
      ['ECONNREFUSED', { code: 'ECONNREFUSED' }, true],
      ['SQLSTATE 08006 (connection failure)', { code: '08006' }, true],
      ['SQLSTATE 57P01 (admin shutdown)', { code: '57P01' }, true],
      ['a pool connect timeout', { message: 'timeout exceeded when trying to connect' }, true],
      ['SQLSTATE 42P01 (undefined table)', { code: '42P01' }, false],
      ['SQLSTATE 23505 (unique violation)', { code: '23505' }, false],
    ];
    for (const [name, err, expected] of errors) {
      it(`counts ${name} as ${expected ? 'a lost database' : 'a query problem'}`, function () {
        assert.equal(isConnectionError(err), expected);
      });
    }
  });

  describe('with the monolith schema and API keys k1, k2 (anonymous access off)', function () {
    let s: AnomalyStack;
    const key = { 'x-api-key': 'k1' };
    before(async function () {
      s = await startAnomalyStack({ legacySchema: true, env: { API_KEYS: 'k1,k2', ALLOW_ANONYMOUS_API_ACCESS: 'false' } });
    });
    after(async function () {
      await s?.close();
    });

    const routes: Array<[string, string, object | undefined]> = [
      ['POST', '/api/v1/ml/detect_anomaly', { sensor_readings: [READING] }],
      ['POST', '/api/v1/ml/check_drift', { sensor_id: 'pump-7' }],
      ['GET', '/api/v1/anomaly/history', undefined],
      ['GET', '/api/v1/anomaly/sensors/pump-7/thresholds', undefined],
      ['PUT', '/api/v1/anomaly/sensors/pump-7/thresholds', { sensitivity: 0.5 }],
      ['GET', '/api/v1/anomaly/sensors/pump-7/drift-status', undefined],
    ];
    for (const [method, path, body] of routes) {
      it(`refuses ${method} ${path} without a key (403 Not authenticated) and with key "nope" (403 Invalid API key)`, async function () {
        const none = await http(`${s.url}${path}`, { method, body });
        assert.equal(none.status, 403);
        assert.equal(none.text, '{"detail":"Not authenticated: API key required."}');
        const bad = await http(`${s.url}${path}`, { method, body, headers: { 'x-api-key': 'nope' } });
        assert.equal(bad.status, 403);
        assert.equal(bad.text, '{"detail":"Could not validate credentials: Invalid API key."}');
      });
    }

    it('lets /health and /metrics through without a key', async function () {
      assert.equal((await http(`${s.url}/health`)).status, 200);
      assert.equal((await http(`${s.url}/metrics`)).status, 200);
    });

    it('stores each alert of a detect_anomaly answer in anomaly_alerts as answered (sensitivity 0 flags all 3 readings)', async function () {
      const res = await http(`${s.url}/api/v1/ml/detect_anomaly`, {
        headers: key,
        body: { sensor_readings: [READING, { ...READING, value: 20 }, { ...READING, sensor_id: 'fan-1', value: 55 }], sensitivity: 0 },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.anomaly_count, 3);
      assert.equal(res.json.model_info.sensitivity, '0.000');
      const { rows } = await s.sql.query(
        `SELECT id::text, sensor_id, severity, confidence, description, evidence, recommended_actions, status,
                to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS created_at
           FROM anomaly_alerts WHERE id = ANY($1::uuid[])`,
        [res.json.anomalies_detected.map((a: { id: string }) => a.id)],
      );
      assert.equal(rows.length, 3);
      for (const a of res.json.anomalies_detected) {
        const row = rows.find((r) => r.id === a.id);
        assert.deepEqual(
          { ...row },
          {
            id: a.id,
            sensor_id: a.sensor_id,
            severity: a.severity,
            confidence: a.confidence,
            description: a.description,
            evidence: a.evidence,
            recommended_actions: a.recommended_actions,
            status: 'open',
            created_at: a.created_at,
          },
        );
      }
    });

    it('answers the 11th check_drift of a key within the minute with 429, Retry-After and the legacy detail; the other key is unaffected', async function () {
      await awaitRoomInMinute();
      const call = (k: string) => http(`${s.url}/api/v1/ml/check_drift`, { headers: { 'x-api-key': k }, body: { sensor_id: 'pump-7' } });
      for (let i = 0; i < 10; i++) assert.equal((await call('k2')).status, 200);
      const refused = await call('k2');
      assert.equal(refused.status, 429);
      assert.equal(refused.text, '{"detail":"Rate limit exceeded: 10 per 1 minute"}');
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${refused.headers['retry-after']}`);
      assert.equal((await call('k1')).status, 200);
    });

    it('records each check_drift verdict, so drift-status returns the latest with its statistics', async function () {
      const now = new Date();
      // 40 readings around 20 an hour ago, 40 around 60 in the last 40 minutes: a clear drift.
      await insertReadings(s.sql, 'press-3', Array.from({ length: 40 }, (_, i) => 20 + (i % 5) * 0.1), new Date(now.getTime() - 61 * 60_000));
      await insertReadings(s.sql, 'press-3', Array.from({ length: 40 }, (_, i) => 60 + (i % 5) * 0.1), new Date(now.getTime() - 30_000));
      const missing = await http(`${s.url}/api/v1/anomaly/sensors/press-3/drift-status`, { headers: key });
      assert.equal(missing.status, 404);
      assert.equal(missing.text, `{"detail":"No drift check recorded for sensor 'press-3'"}`);
      const check = await http(`${s.url}/api/v1/ml/check_drift`, { headers: key, body: { sensor_id: 'press-3', min_samples: 20 } });
      assert.equal(check.status, 200, check.text);
      assert.equal(check.json.drift_detected, true);
      const status = await http(`${s.url}/api/v1/anomaly/sensors/press-3/drift-status`, { headers: key });
      assert.equal(status.status, 200);
      assert.deepEqual(status.json, { ...check.json, evaluated_at: `${check.json.evaluated_at}+00:00`, min_samples: 20 });
    });
  });
});
