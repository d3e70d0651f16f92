import assert from 'node:assert/strict';
import { http } from '@smp/platform/testkit';
import { startMonolith, type MonolithUnderTest } from './support/monolith-harness.js';

describe('POST /api/v1/reports/generate', function () {
  let m: MonolithUnderTest;
  before(async function () {
    m = await startMonolith({ redis: false });
    // 10:00..10:59 on 2025-08-21: pump-1 has 4 readings (10, 20, 30, 40), fan-2 has 2 (1, 3); one reading outside the window.
    await m.sql.query(`
      INSERT INTO sensor_readings (sensor_id, sensor_type, value, unit, "timestamp", quality) VALUES
        ('pump-1', 'pressure', 10, 'bar', '2025-08-21T10:00:00Z', 1.0),
        ('pump-1', 'pressure', 20, 'bar', '2025-08-21T10:10:00Z', 0.5),
        ('pump-1', 'pressure', 30, 'bar', '2025-08-21T10:20:00Z', 1.0),
        ('pump-1', 'pressure', 40, 'bar', '2025-08-21T10:30:00Z', 1.0),
        ('fan-2', 'vibration', 1, 'mm/s', '2025-08-21T10:05:00Z', 1.0),
        ('fan-2', 'vibration', 3, 'mm/s', '2025-08-21T10:06:00Z', 1.0),
        ('fan-2', 'vibration', 99, 'mm/s', '2025-08-20T10:06:00Z', 1.0)`);
    await m.sql.query(`
      INSERT INTO anomaly_alerts (id, sensor_id, anomaly_type, severity, confidence, description, status, created_at) VALUES
        (gen_random_uuid(), 'pump-1', 'isolation_forest_anomaly', 5, 0.9, 'x', 'open', '2025-08-21T10:31:00Z'),
        (gen_random_uuid(), 'pump-1', 'isolation_forest_anomaly', 2, 0.4, 'x', 'resolved', '2025-08-21T10:32:00Z'),
        (gen_random_uuid(), 'fan-2', 'isolation_forest_anomaly', 4, 0.8, 'x', 'open', '2025-08-21T10:33:00Z')`);
    await m.sql.query(`
      INSERT INTO human_decisions (id, request_id, operator_id, decision, "timestamp") VALUES
        (gen_random_uuid(), 'r1', 'op', 'approve', '2025-08-21T10:40:00Z'),
        (gen_random_uuid(), 'r2', 'op', 'reject', '2025-08-21T10:41:00Z')`);
  });
  after(async function () {
    await m?.close();
  });

  const window = { time_range_start: '2025-08-21T10:00:00Z', time_range_end: '2025-08-21T11:00:00Z' };

  it('computes the KPIs of 2025-08-21 10:00-11:00 from stored rows: 6 readings, 2 sensors, 3 anomalies (2 open, 2 of severity ≥ 4), 2 decisions', async function () {
    const res = await http(`${m.url}/api/v1/reports/generate`, { method: 'POST', body: { report_type: 'anomaly_summary', ...window } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), ['report_id', 'report_type', 'format', 'content', 'generated_at', 'charts_encoded', 'metadata', 'error_message']);
    assert.equal(res.json.format, 'json');
    assert.equal(res.json.error_message, null);
    const content = JSON.parse(res.json.content);
    assert.deepEqual(content.totals, {
      readings: 6,
      sensors: 2,
      readings_per_hour: 6,
      average_quality: 0.9167,
      anomalies: 3,
      open_anomalies: 2,
      high_severity_anomalies: 2,
      mean_anomaly_severity: 3.67,
      anomalies_per_1000_readings: 500,
      human_decisions: 2,
    });
    assert.deepEqual(content.anomalies_by_severity, { '1': 0, '2': 1, '3': 0, '4': 1, '5': 1 });
    assert.deepEqual(content.decisions_by_outcome, { approve: 1, reject: 1 });
    assert.deepEqual(content.sensors[0], {
      sensor_id: 'pump-1',
      sensor_type: 'pressure',
      readings: 4,
      mean: 25,
      min: 10,
      max: 40,
      stddev: 12.9099,
      average_quality: 0.875,
      last_reading: '2025-08-21T10:30:00+00:00',
      anomalies: 2,
    });
    assert.equal(content.sensors[1].sensor_id, 'fan-2');
    const svg = Buffer.from(res.json.charts_encoded.readings_per_sensor, 'base64').toString('utf8');
    assert.match(svg, /^<svg [^>]*>.*pump-1.*<\/svg>$/);
  });

  it('renders format "text" and leaves charts out when include_charts is false', async function () {
    const res = await http(`${m.url}/api/v1/reports/generate`, { method: 'POST', body: { report_type: 'maintenance_overview', format: 'text', include_charts: false, ...window } });
    assert.equal(res.status, 200);
    assert.equal(res.json.charts_encoded, null);
    assert.match(res.json.content, /^Report: maintenance_overview\n/);
    assert.match(res.json.content, /Readings: 6 from 2 sensors/);
  });

  it('answers 422 without report_type and 400 when the window is reversed', async function () {
    const missing = await http(`${m.url}/api/v1/reports/generate`, { method: 'POST', body: {} });
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.json, { detail: 'Request validation failed: body → report_type: Field required' });
    const reversed = await http(`${m.url}/api/v1/reports/generate`, {
      method: 'POST',
      body: { report_type: 'x', time_range_start: '2025-08-22T00:00:00Z', time_range_end: '2025-08-21T00:00:00Z' },
    });
    assert.equal(reversed.status, 400);
    assert.deepEqual(reversed.json, { detail: 'time_range_start must not be after time_range_end' });
  });
});
