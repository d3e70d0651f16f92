import assert from 'node:assert/strict';
import { http } from '@smp/platform/testkit';
import { startMonolith, type MonolithUnderTest } from './support/monolith-harness.js';

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('POST /api/v1/data/ingest', function () {
  let m: MonolithUnderTest;
  before(async function () {
    m = await startMonolith();
  });
  after(async function () {
    await m?.close();
  });

  const ingest = (body: unknown, headers: Record<string, string> = {}) =>
    http(`${m.url}/api/v1/data/ingest`, { method: 'POST', body: body as object, headers });

  it('stores a reading of pump-1 (41.25 at 2025-08-21T10:00:00.123456Z) and answers event_published with fresh UUIDv4 ids', async function () {
    const res = await ingest({ sensor_id: 'pump-1', value: 41.25, timestamp: '2025-08-21T10:00:00.123456Z', sensor_type: 'temperature', unit: 'C', metadata: { line: 3 } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json), ['status', 'event_id', 'correlation_id', 'sensor_id']);
    assert.equal(res.json.status, 'event_published');
    assert.equal(res.json.sensor_id, 'pump-1');
    assert.match(res.json.event_id, UUID4);
    assert.match(res.json.correlation_id, UUID4);
    const { rows } = await m.sql.query(
      `SELECT sensor_type, value, unit, quality, sensor_metadata, to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ts FROM sensor_readings WHERE sensor_id = 'pump-1'`,
    );
    assert.deepEqual(rows, [{ sensor_type: 'temperature', value: 41.25, unit: 'C', quality: 1, sensor_metadata: { line: 3 }, ts: '2025-08-21T10:00:00.123456' }]);
    const sensors = await m.sql.query(`SELECT type, status FROM sensors WHERE sensor_id = 'pump-1'`);
    assert.deepEqual(sensors.rows, [{ type: 'temperature', status: 'active' }]);
  });

  it('keeps the client correlation_id, normalised to lowercase', async function () {
    const res = await ingest({ sensor_id: 'pump-2', value: 1, correlation_id: 'ABCDEF78-1234-4234-8234-123456789012' });
    assert.equal(res.status, 200);
    assert.equal(res.json.correlation_id, 'abcdef78-1234-4234-8234-123456789012');
  });

  it('upserts on (timestamp, sensor_id): the second value 7.5 replaces 5.0, one row remains', async function () {
    const at = '2025-08-21T11:00:00Z';
    await ingest({ sensor_id: 'pump-3', value: 5.0, timestamp: at });
    await ingest({ sensor_id: 'pump-3', value: 7.5, timestamp: at });
    const { rows } = await m.sql.query(`SELECT value FROM sensor_readings WHERE sensor_id = 'pump-3'`);
    assert.deepEqual(rows, [{ value: 7.5 }]);
  });

  it('reads an epoch timestamp 1755770400 as 2025-08-21T10:00:00Z and stores no type as "general"', async function () {
    await ingest({ sensor_id: 'pump-4', value: 2, timestamp: 1755770400 });
    const { rows } = await m.sql.query(`SELECT "timestamp", sensor_type FROM sensor_readings WHERE sensor_id = 'pump-4'`);
    assert.equal(rows[0].timestamp.toISOString(), '2025-08-21T10:00:00.000Z');
    assert.equal(rows[0].sensor_type, 'general');
  });

  const invalid: Array<[string, unknown, string]> = [
    ['a missing value', { sensor_id: 's' }, 'Request validation failed: body → value: Field required'],
    ['an empty body object', {}, 'Request validation failed: body → sensor_id: Field required; body → value: Field required'],
    [
      'an unknown sensor_type',
      { sensor_id: 's', value: 1, sensor_type: 'laser' },
      "Request validation failed: body → sensor_type: Input should be 'temperature', 'vibration', 'pressure', 'humidity', 'bearing', 'pump', 'manufacturing', 'audio', 'forecasting', 'voltage' or 'general'",
    ],
    ['quality 1.5', { sensor_id: 's', value: 1, quality: 1.5 }, 'Request validation failed: body → quality: Input should be less than or equal to 1'],
    ['a value "hot"', { sensor_id: 's', value: 'hot' }, 'Request validation failed: body → value: Input should be a valid number, unable to parse string as a number'],
    ['a numeric sensor_id', { sensor_id: 7, value: 1 }, 'Request validation failed: body → sensor_id: Input should be a valid string'],
    ['a bad correlation_id', { sensor_id: 's', value: 1, correlation_id: 'nope' }, 'Request validation failed: body → correlation_id: Input should be a valid UUID, invalid character: found `n` at 1'],
    ['metadata as a list', { sensor_id: 's', value: 1, metadata: [] }, 'Request validation failed: body → metadata: Input should be a valid dictionary'],
    ['a bad timestamp', { sensor_id: 's', value: 1, timestamp: 'yesterday' }, 'Request validation failed: body → timestamp: Input should be a valid datetime or date, input is too short'],
  ];
  for (const [what, body, detail] of invalid) {
    it(`answers 422 for ${what}: "${detail.slice(27, 90)}…"`, async function () {
      const res = await ingest(body);
      assert.equal(res.status, 422);
      assert.deepEqual(res.json, { detail });
    });
  }

  it('answers 422 "body: JSON decode error" for a body that is not JSON and stores nothing', async function () {
    const before = await m.sql.query('SELECT count(*)::int AS n FROM sensor_readings');
    const res = await http(`${m.url}/api/v1/data/ingest`, { method: 'POST', body: '{"sensor_id": ', headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 422);
    assert.deepEqual(res.json, { detail: 'Request validation failed: body: JSON decode error' });
    const after = await m.sql.query('SELECT count(*)::int AS n FROM sensor_readings');
    assert.equal(after.rows[0].n, before.rows[0].n);
  });

  it('parses a body sent without Content-Type as JSON (as FastAPI did) and refuses a form body like FastAPI', async function () {
    const bare = await http(`${m.url}/api/v1/data/ingest`, { method: 'POST', body: Buffer.from('{"sensor_id":"bare-1","value":4}') });
    assert.equal(bare.status, 200, bare.text);
    assert.equal(bare.json.sensor_id, 'bare-1');
    const form = await http(`${m.url}/api/v1/data/ingest`, { method: 'POST', body: 'sensor_id=x&value=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 422);
    assert.deepEqual(form.json, { detail: 'Request validation failed: body: Input should be a valid dictionary or object to extract fields from' });
  });

  it('answers a repeated Idempotency-Key with the original event_id and "duplicate_ignored", storing one reading', async function () {
    const headers = { 'idempotency-key': 'order-42' };
    const first = await ingest({ sensor_id: 'idem-1', value: 1, timestamp: '2025-08-21T12:00:00Z' }, headers);
    const second = await ingest({ sensor_id: 'idem-1', value: 2, timestamp: '2025-08-21T12:01:00Z' }, headers);
    assert.equal(first.json.status, 'event_published');
    assert.equal(second.status, 200);
    assert.equal(second.json.status, 'duplicate_ignored');
    assert.equal(second.json.event_id, first.json.event_id);
    const { rows } = await m.sql.query(`SELECT value FROM sensor_readings WHERE sensor_id = 'idem-1'`);
    assert.deepEqual(rows, [{ value: 1 }]);
    assert.equal(await readRedisKey(m, 'idempotency:order-42'), first.json.event_id);
  });

  it('does not spend an Idempotency-Key on a request refused with 422', async function () {
    const headers = { 'idempotency-key': 'order-43' };
    assert.equal((await ingest({ sensor_id: 'idem-2' }, headers)).status, 422);
    const ok = await ingest({ sensor_id: 'idem-2', value: 3 }, headers);
    assert.equal(ok.json.status, 'event_published');
  });
});

async function readRedisKey(m: MonolithUnderTest, key: string): Promise<string | null> {
  const { Redis } = await import('ioredis');
  const client = new Redis(m.redis!.url, { keyPrefix: m.redis!.prefix });
  try {
    return await client.get(key);
  } finally {
    client.disconnect();
  }
}

describe('ingest idempotency across replicas and outages', function () {
  it('two monolith instances on one Redis prefix answer the same key: the second replica says duplicate_ignored', async function () {
    const a = await startMonolith();
    const b = await startMonolith({ db: a.db, redis: a.redis! });
    try {
      const headers = { 'idempotency-key': 'shared-1' };
      const first = await http(`${a.url}/api/v1/data/ingest`, { method: 'POST', body: { sensor_id: 'rep', value: 1 }, headers });
      const second = await http(`${b.url}/api/v1/data/ingest`, { method: 'POST', body: { sensor_id: 'rep', value: 2 }, headers });
      assert.equal(second.json.status, 'duplicate_ignored');
      assert.equal(second.json.event_id, first.json.event_id);
    } finally {
      await b.close();
      await a.close();
    }
  });

  it('without REDIS_URL dedupes in process: the same key twice gives duplicate_ignored', async function () {
    const m = await startMonolith({ redis: false });
    try {
      const headers = { 'idempotency-key': 'local-1' };
      const first = await http(`${m.url}/api/v1/data/ingest`, { method: 'POST', body: { sensor_id: 'loc', value: 1 }, headers });
      const second = await http(`${m.url}/api/v1/data/ingest`, { method: 'POST', body: { sensor_id: 'loc', value: 1 }, headers });
      assert.equal(second.json.status, 'duplicate_ignored');
      assert.equal(second.json.event_id, first.json.event_id);
    } finally {
      await m.close();
    }
  });

  it('with Redis unreachable still stores both readings of a repeated key (no dedupe) and /health says "redis":"failed"', async function () {
    const m = await startMonolith({ redis: false, env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      const headers = { 'idempotency-key': 'outage-1' };
      const first = await http(`${m.url}/api/v1/data/ingest`, { method: 'POST', body: { sensor_id: 'out', value: 1, timestamp: '2025-08-21T12:00:00Z' }, headers });
      const second = await http(`${m.url}/api/v1/data/ingest`, { method: 'POST', body: { sensor_id: 'out', value: 2, timestamp: '2025-08-21T12:01:00Z' }, headers });
      assert.equal(first.json.status, 'event_published');
      assert.equal(second.json.status, 'event_published');
      const { rows } = await m.sql.query(`SELECT count(*)::int AS n FROM sensor_readings WHERE sensor_id = 'out'`);
      assert.equal(rows[0].n, 2);
      const health = await http(`${m.url}/health`);
      assert.equal(health.status, 200);
      assert.equal(health.json.redis, 'failed');
      assert.equal(health.json.status, 'degraded');
    } finally {
      await m.close();
    }
  });
});
