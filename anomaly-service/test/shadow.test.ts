/**
 * Requests the proxy mirrors between the monolith and this service (`X-Shadow-Request: 1`), both
 * started for real on one database and one Redis prefix: a mirror spends none of the client's
 * shared drift budget (it is decided from the count its primary left, so it answers 429 exactly
 * when the primary did), and leaves no alert and no drift verdict behind.
 */
import assert from 'node:assert/strict';
import { SHADOW_REQUEST_HEADER } from '@smp/platform';
import { awaitRoomInMinute, clientAndMirrorTraffic, http, type HttpResult } from '@smp/platform/testkit';
import { insertReadings, startAnomalyStack, type AnomalyStack } from './support/anomaly-harness.js';

describe('anomaly-service and the monolith: mirrored requests (X-Shadow-Request: 1)', function () {
  this.timeout(30_000);
  let s: AnomalyStack;
  let mono: string;
  before(async function () {
    s = await startAnomalyStack({ monolith: true, env: { API_KEYS: 'k1,k2,k3' } });
    mono = s.monolithUrl!;
  });
  after(async function () {
    await s?.close();
  });
  const post = (base: string, path: string, body: object, key: string, mirrored: boolean): Promise<HttpResult> =>
    http(`${base}${path}`, { method: 'POST', body, headers: { 'x-api-key': key, ...(mirrored ? { [SHADOW_REQUEST_HEADER]: '1' } : {}) } });

  for (const [key, primary, mirror] of [
    ['k1', 'monolith', 'service'],
    ['k2', 'service', 'monolith'],
  ] as const) {
    it(`check_drift with key ${key}: 10 client calls to the ${primary}, each mirrored to the ${mirror}, leave the 11th client call the first 429, and the mirrors after it get 429 too`, async function () {
      await awaitRoomInMinute();
      const url = { monolith: mono, service: s.url };
      const { statuses, responses } = await clientAndMirrorTraffic(
        (mirrored) => post(url[mirrored ? mirror : primary], '/api/v1/ml/check_drift', { sensor_id: 'shadow-drift' }, key, mirrored),
        10,
        2,
      );
      assert.deepEqual(statuses, [...Array(10).fill(['client 200', 'mirror 200']).flat(), 'client 429', 'mirror 429', 'mirror 429']);
      const [eleventh, ...after] = responses.slice(20);
      for (const res of after) assert.equal(res.text, eleventh.text);
    });
  }

  it('detect_anomaly at sensitivity 0 mirrored to the service answers with 2 alerts and stores none; the client call to the monolith stores its 2', async function () {
    const body = {
      sensitivity: 0,
      sensor_readings: [
        { sensor_id: 'shadow-alerts', value: 31.5, sensor_type: 'temperature', unit: 'C' },
        { sensor_id: 'shadow-alerts', value: 90, sensor_type: 'temperature', unit: 'C' },
      ],
    };
    const count = async () => (await s.sql.query(`SELECT count(*)::int AS n FROM anomaly_alerts WHERE sensor_id = 'shadow-alerts'`)).rows[0].n;
    const mirrored = await post(s.url, '/api/v1/ml/detect_anomaly', body, 'k3', true);
    assert.equal(mirrored.status, 200, mirrored.text);
    assert.equal(mirrored.json.anomaly_count, 2);
    assert.equal(await count(), 0);
    const client = await post(mono, '/api/v1/ml/detect_anomaly', body, 'k3', false);
    assert.equal(client.status, 200, client.text);
    assert.equal(await count(), 2);
    // And the service, as a primary, stores its own 2 as well.
    assert.equal((await post(s.url, '/api/v1/ml/detect_anomaly', body, 'k3', false)).status, 200);
    assert.equal(await count(), 4);
  });

  it('check_drift mirrored to the service records no verdict (drift-status stays 404); the same call from a client records one', async function () {
    const now = Date.now();
    await insertReadings(s.sql, 'shadow-verdict', Array.from({ length: 40 }, (_, i) => 20 + (i % 5) * 0.1), new Date(now - 61 * 60_000));
    await insertReadings(s.sql, 'shadow-verdict', Array.from({ length: 40 }, (_, i) => 60 + (i % 5) * 0.1), new Date(now - 30_000));
    const status = () => http(`${s.url}/api/v1/anomaly/sensors/shadow-verdict/drift-status`, { headers: { 'x-api-key': 'k3' } });
    const body = { sensor_id: 'shadow-verdict', min_samples: 20 };
    const mirrored = await post(s.url, '/api/v1/ml/check_drift', body, 'k3', true);
    assert.equal(mirrored.status, 200, mirrored.text);
    assert.equal(mirrored.json.drift_detected, true);
    assert.equal((await status()).status, 404);
    assert.equal((await s.sql.query(`SELECT count(*)::int AS n FROM drift_results WHERE sensor_id = 'shadow-verdict'`)).rows[0].n, 0);
    const client = await post(s.url, '/api/v1/ml/check_drift', body, 'k3', false);
    assert.equal(client.status, 200, client.text);
    const recorded = await status();
    assert.equal(recorded.status, 200, recorded.text);
    assert.equal(recorded.json.request_id, client.json.request_id);
  });
});
