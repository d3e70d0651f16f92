import assert from 'node:assert/strict';
import { http } from '@smp/platform/testkit';
import { startMonolith, type MonolithUnderTest } from './support/monolith-harness.js';

describe('GET /api/v1/sensors/readings and /api/v1/sensors/sensors', function () {
  let m: MonolithUnderTest;
  before(async function () {
    m = await startMonolith({ redis: false });
    const readings = [
      ['s-a', 1.5, '2025-08-21T10:00:00Z'],
      ['s-a', 2.5, '2025-08-21T10:01:00.250000Z'],
      ['s-a', 3.5, '2025-08-21T10:02:00Z'],
      ['s-b', 10, '2025-08-21T10:00:30Z'],
    ] as const;
    for (const [sensor_id, value, timestamp] of readings) {
      const res = await http(`${m.url}/api/v1/data/ingest`, { method: 'POST', body: { sensor_id, value, timestamp, sensor_type: 'vibration', unit: 'mm/s' } });
      assert.equal(res.status, 200, res.text);
    }
  });
  after(async function () {
    await m?.close();
  });

  it('lists every reading newest first with database timestamps in Python isoformat (+00:00, µs only when non-zero)', async function () {
    const res = await http(`${m.url}/api/v1/sensors/readings`);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.json.map((r: { sensor_id: string; timestamp: string }) => [r.sensor_id, r.timestamp]),
      [
        ['s-a', '2025-08-21T10:02:00+00:00'],
        ['s-a', '2025-08-21T10:01:00.250000+00:00'],
        ['s-b', '2025-08-21T10:00:30+00:00'],
        ['s-a', '2025-08-21T10:00:00+00:00'],
      ],
    );
    assert.deepEqual(Object.keys(res.json[0]), ['sensor_id', 'sensor_type', 'value', 'unit', 'timestamp', 'quality', 'sensor_metadata', 'ingestion_timestamp']);
    assert.deepEqual({ ...res.json[0], ingestion_timestamp: undefined }, {
      sensor_id: 's-a',
      sensor_type: 'vibration',
      value: 3.5,
      unit: 'mm/s',
      timestamp: '2025-08-21T10:02:00+00:00',
      quality: 1,
      sensor_metadata: {},
      ingestion_timestamp: undefined,
    });
    assert.match(res.json[0].ingestion_timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/);
  });

  it('filters sensor_id=s-a with inclusive bounds 10:01:00.25 .. 10:02:00 -> 2 readings', async function () {
    const res = await http(`${m.url}/api/v1/sensors/readings?sensor_id=s-a&start_ts=2025-08-21T10:01:00.250000Z&end_ts=2025-08-21T10:02:00Z`);
    assert.deepEqual(res.json.map((r: { value: number }) => r.value), [3.5, 2.5]);
  });

  it('treats an empty sensor_id= as no filter (4 readings), as the original\'s `if sensor_id:` did', async function () {
    const res = await http(`${m.url}/api/v1/sensors/readings?sensor_id=`);
    assert.equal(res.json.length, 4);
  });

  it('pages with limit=2&offset=1', async function () {
    const res = await http(`${m.url}/api/v1/sensors/readings?limit=2&offset=1`);
    assert.deepEqual(res.json.map((r: { value: number }) => r.value), [2.5, 10]);
  });

  const invalid: Array<[string, string]> = [
    ['limit=0', 'Request validation failed: query → limit: Input should be greater than or equal to 1'],
    ['limit=1001', 'Request validation failed: query → limit: Input should be less than or equal to 1000'],
    ['limit=ten', 'Request validation failed: query → limit: Input should be a valid integer, unable to parse string as an integer'],
    ['offset=-1', 'Request validation failed: query → offset: Input should be greater than or equal to 0'],
    ['start_ts=soon', 'Request validation failed: query → start_ts: Input should be a valid datetime or date, input is too short'],
  ];
  for (const [query, detail] of invalid) {
    it(`answers 422 for ?${query}`, async function () {
      const res = await http(`${m.url}/api/v1/sensors/readings?${query}`);
      assert.equal(res.status, 422);
      assert.deepEqual(res.json, { detail });
    });
  }

  it('summarises sensors: s-a 3 readings 10:00:00 .. 10:02:00, s-b 1 reading', async function () {
    const res = await http(`${m.url}/api/v1/sensors/sensors`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, [
      { sensor_id: 's-a', reading_count: 3, last_reading: '2025-08-21T10:02:00+00:00', first_reading: '2025-08-21T10:00:00+00:00' },
      { sensor_id: 's-b', reading_count: 1, last_reading: '2025-08-21T10:00:30+00:00', first_reading: '2025-08-21T10:00:30+00:00' },
    ]);
  });
});
