import assert from 'node:assert/strict';
import { http } from '@smp/platform/testkit';
import { startMonolith, type MonolithUnderTest } from './support/monolith-harness.js';

describe('POST /api/v1/simulate/*', function () {
  let m: MonolithUnderTest;
  before(async function () {
    m = await startMonolith({ redis: false });
  });
  after(async function () {
    await m?.close();
  });

  it('drift-event with defaults writes 50 readings of demo-sensor-001, one minute apart, ending now', async function () {
    const res = await http(`${m.url}/api/v1/simulate/drift-event`, { method: 'POST', body: {} });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), ['status', 'message', 'simulation_id', 'events_generated', 'correlation_id']);
    assert.equal(res.json.status, 'success');
    assert.equal(res.json.message, 'Drift simulation started for sensor demo-sensor-001. Generated 50 samples with 2.0σ drift.');
    assert.equal(res.json.events_generated, 50);
    const { rows } = await m.sql.query(
      `SELECT count(*)::int AS n, extract(epoch FROM max("timestamp") - min("timestamp"))::int AS span, min(value) AS lo, max(value) AS hi
       FROM sensor_readings WHERE sensor_id = 'demo-sensor-001'`,
    );
    assert.equal(rows[0].n, 50);
    assert.equal(rows[0].span, 49 * 60);
    assert.ok(rows[0].lo >= 0 && rows[0].hi <= 100);
  });

  it('drift-event is reproducible: the same parameters write the same values (seed 42)', async function () {
    const values = async (sensor: string) => {
      await http(`${m.url}/api/v1/simulate/drift-event`, { method: 'POST', body: { sensor_id: sensor, num_samples: 5, drift_magnitude: 3 } });
      const { rows } = await m.sql.query(`SELECT value FROM sensor_readings WHERE sensor_id = $1 ORDER BY "timestamp"`, [sensor]);
      return rows.map((r) => r.value);
    };
    assert.deepEqual(await values('rep-a'), await values('rep-b'));
  });

  it('anomaly-event?num_anomalies=4 writes 20 readings, 4 flagged is_anomaly in their metadata', async function () {
    const res = await http(`${m.url}/api/v1/simulate/anomaly-event?sensor_id=an-1&num_anomalies=4`, { method: 'POST' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.message, 'Anomaly simulation started for sensor an-1. Generated 4 anomalies.');
    assert.equal(res.json.events_generated, 20);
    const { rows } = await m.sql.query(`SELECT count(*) FILTER (WHERE (sensor_metadata->>'is_anomaly')::boolean)::int AS a, count(*)::int AS n FROM sensor_readings WHERE sensor_id = 'an-1'`);
    assert.deepEqual(rows[0], { a: 4, n: 20 });
  });

  it('normal-data?num_samples=30&duration_minutes=30 writes 30 readings within [15, 35]', async function () {
    const res = await http(`${m.url}/api/v1/simulate/normal-data?sensor_id=nd-1&num_samples=30&duration_minutes=30`, { method: 'POST' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.message, 'Normal data simulation started for sensor nd-1. Generated 30 samples over 30 minutes.');
    const { rows } = await m.sql.query(`SELECT count(*)::int AS n, min(value) AS lo, max(value) AS hi FROM sensor_readings WHERE sensor_id = 'nd-1'`);
    assert.equal(rows[0].n, 30);
    assert.ok(rows[0].lo >= 15 && rows[0].hi <= 35);
  });

  const invalid: Array<[string, string, object | undefined, string]> = [
    ['normal-data', '?num_samples=many', undefined, 'Request validation failed: query → num_samples: Input should be a valid integer, unable to parse string as an integer'],
    ['normal-data', '?num_samples=20000', undefined, 'Request validation failed: query → num_samples: Input should be less than or equal to 10000'],
    ['anomaly-event', '?num_anomalies=-1', undefined, 'Request validation failed: query → num_anomalies: Input should be greater than or equal to 0'],
    ['drift-event', '', { noise_level: -1 }, 'Request validation failed: body → noise_level: Input should be greater than or equal to 0'],
  ];
  for (const [route, query, body, detail] of invalid) {
    it(`answers 422 on ${route}${query}${body ? ` ${JSON.stringify(body)}` : ''}`, async function () {
      const res = await http(`${m.url}/api/v1/simulate/${route}${query}`, { method: 'POST', body });
      assert.equal(res.status, 422);
      assert.deepEqual(res.json, { detail });
    });
  }
});
