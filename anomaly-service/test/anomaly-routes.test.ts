import assert from 'node:assert/strict';
import { http } from '@smp/platform/testkit';
import { insertReadings, startAnomalyStack, type AnomalyStack } from './support/anomaly-harness.js';

const reading = (sensor_id: string, value: number) => ({ sensor_id, value, sensor_type: 'temperature', unit: 'C' });

describe('anomaly-service own routes', function () {
  this.timeout(30_000);
  let s: AnomalyStack;
  const put = (sensor: string, body: unknown) => http(`${s.url}/api/v1/anomaly/sensors/${sensor}/thresholds`, { method: 'PUT', body: body as object });
  const detect = (body: object) => http(`${s.url}/api/v1/ml/detect_anomaly`, { body });
  const drift = (body: object, key: string) => http(`${s.url}/api/v1/ml/check_drift`, { body, headers: { 'x-api-key': key } });

  before(async function () {
    s = await startAnomalyStack({ legacySchema: true, env: { API_KEYS: Array.from({ length: 20 }, (_, i) => `t${i}`).join(',') } });
    // 12 steady readings around 25 for the three sensors detect_anomaly is asked about.
    const now = new Date();
    for (const sensor of ['hx-1', 'hx-2', 'hx-3']) await insertReadings(s.sql, sensor, Array.from({ length: 12 }, (_, i) => 25 + (i % 3) * 0.2), new Date(now.getTime() - 60_000));
  });
  after(async function () {
    await s?.close();
  });

  describe('PUT /api/v1/anomaly/sensors/{id}/thresholds validation', function () {
    const cases: Array<[string, unknown, string]> = [
      ['sensitivity 1.5', { sensitivity: 1.5 }, 'body → sensitivity: Input should be less than or equal to 1'],
      ['sensitivity -0.1', { sensitivity: -0.1 }, 'body → sensitivity: Input should be greater than or equal to 0'],
      ['p_value_threshold 0', { p_value_threshold: 0 }, 'body → p_value_threshold: Input should be greater than 0'],
      ['p_value_threshold 1', { p_value_threshold: 1 }, 'body → p_value_threshold: Input should be less than 1'],
      ['p_value_threshold "abc"', { p_value_threshold: 'abc' }, 'body → p_value_threshold: Input should be a valid number, unable to parse string as a number'],
      ['sensitivity [] and p 2', { sensitivity: [], p_value_threshold: 2 }, 'body → sensitivity: Input should be a valid number; body → p_value_threshold: Input should be less than 1'],
      ['a list body', [0.5], 'body: Input should be a valid dictionary or object to extract fields from'],
    ];
    for (const [name, body, issues] of cases) {
      it(`refuses ${name} with 422 "Request validation failed: ${issues}"`, async function () {
        const res = await put('hx-1', body);
        assert.equal(res.status, 422);
        assert.deepEqual(res.json, { detail: `Request validation failed: ${issues}` });
      });
    }

    it('refuses a PUT without a body with 422 "body: Field required" and stores nothing', async function () {
      const res = await http(`${s.url}/api/v1/anomaly/sensors/hx-1/thresholds`, { method: 'PUT' });
      assert.equal(res.status, 422);
      assert.equal(res.text, '{"detail":"Request validation failed: body: Field required"}');
      const stored = await http(`${s.url}/api/v1/anomaly/sensors/hx-1/thresholds`);
      assert.equal(stored.json.updated_at, null);
    });
  });

  describe('GET and PUT thresholds', function () {
    it('shows null overrides and the legacy defaults 0.5 / 0.05 for a sensor never configured', async function () {
      const res = await http(`${s.url}/api/v1/anomaly/sensors/never-set/thresholds`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, {
        sensor_id: 'never-set',
        sensitivity: null,
        p_value_threshold: null,
        effective: { sensitivity: 0.5, p_value_threshold: 0.05 },
        updated_at: null,
      });
    });

    it('stores sensitivity "0.25" (a numeric string, as pydantic accepts) and p null, and GET returns the same', async function () {
      const res = await put('hx-9', { sensitivity: '0.25', p_value_threshold: null, unknown_field: 1 });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.sensitivity, 0.25);
      assert.deepEqual(res.json.effective, { sensitivity: 0.25, p_value_threshold: 0.05 });
      assert.match(res.json.updated_at, /\+00:00$/);
      const got = await http(`${s.url}/api/v1/anomaly/sensors/hx-9/thresholds`);
      assert.deepEqual(got.json, res.json);
    });
  });

  describe('thresholds used by the legacy routes', function () {
    it('flags every hx-1 reading at a stored sensitivity 0 when the body has no sensitivity ("0.000")', async function () {
      await put('hx-1', { sensitivity: 0 });
      const res = await detect({ sensor_readings: [reading('hx-1', 25.1), reading('hx-1', 25.3)] });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.model_info.sensitivity, '0.000');
      assert.equal(res.json.anomaly_count, 2);
    });

    it('lets the body sensitivity 1 win over the stored 0 for hx-1 (ordinary readings not flagged)', async function () {
      const res = await detect({ sensor_readings: [reading('hx-1', 25.1), reading('hx-1', 25.3)], sensitivity: 1 });
      assert.equal(res.json.model_info.sensitivity, '1.000');
      assert.equal(res.json.anomaly_count, 0);
    });

    it('scores [hx-1, hx-2, hx-1] with hx-2 at a stored 1 as runs at 0, 1, 0: both hx-1 readings flagged at 0.00, hx-2 not, one request id', async function () {
      await put('hx-2', { sensitivity: 1 });
      const res = await detect({ sensor_readings: [reading('hx-1', 25.1), reading('hx-2', 25.1), reading('hx-1', 25.2)] });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.total_readings_analyzed, 3);
      assert.deepEqual(
        res.json.anomalies_detected.map((a: { sensor_id: string; evidence: { sensor_value: number } }) => [a.sensor_id, a.evidence.sensor_value]),
        [
          ['hx-1', 25.1],
          ['hx-1', 25.2],
        ],
      );
      for (const a of res.json.anomalies_detected) assert.match(a.description, /sensitivity=0\.00\)$/);
      assert.equal(res.json.anomaly_count, 2);
      assert.equal(res.json.model_info.sensitivity, '0.000');
      assert.match(res.json.request_id, /^[0-9a-f-]{36}$/);
    });

    it('answers hx-3 (no override) as an explicit sensitivity 0.5 does, apart from ids and times', async function () {
      const readings = [reading('hx-3', 25.1), reading('hx-3', 31), reading('hx-3', 60)];
      const implicit = await detect({ sensor_readings: readings });
      const explicit = await detect({ sensor_readings: readings, sensitivity: 0.5 });
      assert.equal(implicit.json.model_info.sensitivity, '0.500');
      const fresh = (body: { anomalies_detected: object[] }) => ({
        ...body,
        request_id: 'x',
        analysis_timestamp: 'x',
        anomalies_detected: body.anomalies_detected.map((a) => ({ ...a, id: 'x', created_at: 'x' })),
      });
      assert.deepEqual(fresh(implicit.json), fresh(explicit.json));
      assert.ok(implicit.json.anomaly_count >= 1, 'the reading at 60 is an outlier');
    });

    it('uses a stored p_value_threshold 0.9 for check_drift without one, and the body value 0.05 when given', async function () {
      await put('dr-1', { p_value_threshold: 0.9 });
      const stored = await drift({ sensor_id: 'dr-1' }, 't1');
      assert.equal(stored.status, 200, stored.text);
      assert.equal(stored.json.p_value_threshold, 0.9);
      const given = await drift({ sensor_id: 'dr-1', p_value_threshold: 0.05 }, 't1');
      assert.equal(given.json.p_value_threshold, 0.05);
      const other = await drift({ sensor_id: 'dr-2' }, 't1');
      assert.equal(other.json.p_value_threshold, 0.05);
    });

    it('clears an override with a PUT of {} (p back to 0.05)', async function () {
      await put('dr-1', {});
      const res = await drift({ sensor_id: 'dr-1' }, 't2');
      assert.equal(res.json.p_value_threshold, 0.05);
    });
  });

  describe('GET /api/v1/anomaly/history', function () {
    before(async function () {
      // Fresh alerts on al-1 and al-2 at sensitivity 0 (every reading flagged).
      await insertReadings(s.sql, 'al-1', [25, 25.2, 25.1], new Date());
      await detect({ sensor_readings: [reading('al-1', 25), reading('al-1', 90), reading('al-1', 99)], sensitivity: 0 });
      await detect({ sensor_readings: [reading('al-2', 25), reading('al-2', 80)], sensitivity: 0 });
    });

    it('lists al-1 alerts newest first with total 3, paged 2 at a time', async function () {
      const first = await http(`${s.url}/api/v1/anomaly/history?sensor_id=al-1&limit=2`);
      assert.equal(first.status, 200);
      assert.deepEqual(Object.keys(first.json), ['alerts', 'total', 'limit', 'offset']);
      assert.equal(first.json.total, 3);
      assert.equal(first.json.alerts.length, 2);
      const second = await http(`${s.url}/api/v1/anomaly/history?sensor_id=al-1&limit=2&offset=2`);
      assert.equal(second.json.alerts.length, 1);
      const all = [...first.json.alerts, ...second.json.alerts];
      const times = all.map((a: { created_at: string }) => a.created_at);
      assert.deepEqual([...times].sort().reverse(), times);
      assert.ok(all.every((a: { sensor_id: string }) => a.sensor_id === 'al-1'));
    });

    it('filters by min_severity and by a time range that ends before the alerts (none)', async function () {
      const all = await http(`${s.url}/api/v1/anomaly/history?sensor_id=al-2`);
      const top = Math.max(...all.json.alerts.map((a: { severity: number }) => a.severity));
      const severe = await http(`${s.url}/api/v1/anomaly/history?sensor_id=al-2&min_severity=${top}`);
      assert.ok(severe.json.total >= 1 && severe.json.alerts.every((a: { severity: number }) => a.severity >= top));
      const before = await http(`${s.url}/api/v1/anomaly/history?sensor_id=al-2&end_time=2020-01-01T00:00:00Z`);
      assert.deepEqual(before.json, { alerts: [], total: 0, limit: 100, offset: 0 });
      const since = await http(`${s.url}/api/v1/anomaly/history?sensor_id=al-2&start_time=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`);
      assert.equal(since.json.total, 2);
    });

    const bad: Array<[string, string]> = [
      ['limit=0', 'query → limit: Input should be greater than or equal to 1'],
      ['limit=1001', 'query → limit: Input should be less than or equal to 1000'],
      ['offset=-1', 'query → offset: Input should be greater than or equal to 0'],
      ['min_severity=abc', 'query → min_severity: Input should be a valid integer, unable to parse string as an integer'],
      ['min_severity=6', 'query → min_severity: Input should be less than or equal to 5'],
      ['start_time=yesterday', 'query → start_time: Input should be a valid datetime or date, input is too short'],
      ['end_time=2025-13-01', 'query → end_time: Input should be a valid datetime or date, month value is outside expected range of 1-12'],
    ];
    for (const [query, issue] of bad) {
      it(`refuses ?${query} with 422 "${issue}"`, async function () {
        const res = await http(`${s.url}/api/v1/anomaly/history?${query}`);
        assert.equal(res.status, 422);
        assert.deepEqual(res.json, { detail: `Request validation failed: ${issue}` });
      });
    }
  });
});
