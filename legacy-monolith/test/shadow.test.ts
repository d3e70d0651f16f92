/**
 * Requests the proxy mirrored here (`X-Shadow-Request: 1`) answer as a client's would but leave
 * nothing behind: they spend no drift budget (decided from the count the primary left) and
 * detect_anomaly stores no alert.
 */
import assert from 'node:assert/strict';
import { SHADOW_REQUEST_HEADER } from '@smp/platform';
import { awaitRoomInMinute, clientAndMirrorTraffic, http } from '@smp/platform/testkit';
import { startMonolith, type MonolithUnderTest } from './support/monolith-harness.js';

describe('monolith: mirrored requests (X-Shadow-Request: 1)', function () {
  let m: MonolithUnderTest;
  before(async function () {
    m = await startMonolith({ env: { API_KEYS: 'k1,k2' } });
  });
  after(async function () {
    await m?.close();
  });
  const post = (path: string, body: object, key: string, mirrored: boolean) =>
    http(`${m.url}${path}`, { method: 'POST', body, headers: { 'x-api-key': key, ...(mirrored ? { [SHADOW_REQUEST_HEADER]: '1' } : {}) } });

  it('check_drift: 10 client calls, each followed by its mirror, leave the 11th client call the first 429, and the 2 mirrors after it get 429 too', async function () {
    await awaitRoomInMinute();
    const { statuses, responses } = await clientAndMirrorTraffic((mirrored) => post('/api/v1/ml/check_drift', { sensor_id: 'shadow-1' }, 'k1', mirrored), 10, 2);
    assert.deepEqual(statuses, [...Array(10).fill(['client 200', 'mirror 200']).flat(), 'client 429', 'mirror 429', 'mirror 429']);
    const [eleventh, ...mirrors] = responses.slice(20);
    assert.equal(eleventh.text, '{"detail":"Rate limit exceeded: 10 per 1 minute"}');
    for (const mirror of mirrors) {
      assert.equal(mirror.text, eleventh.text);
      assert.ok(Number(mirror.headers['retry-after']) >= 1, `Retry-After ${mirror.headers['retry-after']}`);
    }
  });

  it('detect_anomaly at sensitivity 0: a mirrored call answers with 2 alerts and stores none; the same call from a client stores its 2', async function () {
    const body = {
      sensitivity: 0,
      sensor_readings: [
        { sensor_id: 'shadow-2', value: 31.5, sensor_type: 'temperature', unit: 'C' },
        { sensor_id: 'shadow-2', value: 90, sensor_type: 'temperature', unit: 'C' },
      ],
    };
    const stored = async (ids: string[]) => (await m.sql.query(`SELECT id FROM anomaly_alerts WHERE id = ANY($1::uuid[])`, [ids])).rowCount;
    const mirrored = await post('/api/v1/ml/detect_anomaly', body, 'k2', true);
    assert.equal(mirrored.status, 200, mirrored.text);
    assert.equal(mirrored.json.anomaly_count, 2);
    assert.equal(await stored(mirrored.json.anomalies_detected.map((a: { id: string }) => a.id)), 0);
    assert.equal((await m.sql.query(`SELECT count(*)::int AS n FROM anomaly_alerts WHERE sensor_id = 'shadow-2'`)).rows[0].n, 0);
    const client = await post('/api/v1/ml/detect_anomaly', body, 'k2', false);
    assert.equal(client.status, 200, client.text);
    assert.deepEqual(Object.keys(mirrored.json), Object.keys(client.json));
    assert.equal(await stored(client.json.anomalies_detected.map((a: { id: string }) => a.id)), 2);
  });
});
