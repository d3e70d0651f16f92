import assert from 'node:assert/strict';
import { http } from '@smp/platform/testkit';
import { startMonolith, type MonolithUnderTest } from './support/monolith-harness.js';

describe('human decisions', function () {
  let m: MonolithUnderTest;
  before(async function () {
    m = await startMonolith({ redis: false });
  });
  after(async function () {
    await m?.close();
  });

  const submit = (body: object) => http(`${m.url}/api/v1/decisions/submit`, { method: 'POST', body });

  it('stores a decision and answers 201 echoing the stored row (defaults confidence 1.0, nulls)', async function () {
    const res = await submit({ request_id: 'req-1', decision: 'approve', operator_id: 'op-7', timestamp: '2025-08-21T10:00:00Z' });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.json), ['id', 'request_id', 'decision', 'operator_id', 'justification', 'timestamp', 'confidence', 'additional_notes', 'correlation_id']);
    assert.deepEqual({ ...res.json, id: undefined }, {
      id: undefined,
      request_id: 'req-1',
      decision: 'approve',
      operator_id: 'op-7',
      justification: null,
      timestamp: '2025-08-21T10:00:00+00:00',
      confidence: 1,
      additional_notes: null,
      correlation_id: null,
    });
    const { rows } = await m.sql.query('SELECT id::text AS id FROM human_decisions');
    assert.deepEqual(rows, [{ id: res.json.id }]);
  });

  it('lists newest first and filters by operator_id, request_id and an inclusive date range', async function () {
    await submit({ request_id: 'req-2', decision: 'reject', operator_id: 'op-8', timestamp: '2025-08-22T10:00:00Z', justification: 'false alarm', confidence: 0.6 });
    await submit({ request_id: 'req-3', decision: 'approve', operator_id: 'op-7', timestamp: '2025-08-23T10:00:00Z', correlation_id: 'c-1' });
    const all = await http(`${m.url}/api/v1/decisions`);
    assert.deepEqual(all.json.map((d: { request_id: string }) => d.request_id), ['req-3', 'req-2', 'req-1']);
    const op7 = await http(`${m.url}/api/v1/decisions?operator_id=op-7`);
    assert.deepEqual(op7.json.map((d: { request_id: string }) => d.request_id), ['req-3', 'req-1']);
    const range = await http(`${m.url}/api/v1/decisions?start_date=2025-08-22T10:00:00Z&end_date=2025-08-23T10:00:00Z`);
    assert.deepEqual(range.json.map((d: { request_id: string }) => d.request_id), ['req-3', 'req-2']);
    const byCorrelation = await http(`${m.url}/api/v1/decisions?correlation_id=c-1&limit=1`);
    assert.deepEqual(byCorrelation.json.map((d: { request_id: string }) => d.request_id), ['req-3']);
    const page = await http(`${m.url}/api/v1/decisions?limit=1&offset=1`);
    assert.deepEqual(page.json.map((d: { request_id: string }) => d.request_id), ['req-2']);
  });

  const invalid: Array<[string, object, string]> = [
    ['no fields', {}, 'Request validation failed: body → request_id: Field required; body → decision: Field required; body → operator_id: Field required'],
    ['confidence 1.2', { request_id: 'r', decision: 'd', operator_id: 'o', confidence: 1.2 }, 'Request validation failed: body → confidence: Input should be less than or equal to 1'],
  ];
  for (const [what, body, detail] of invalid) {
    it(`answers 422 for ${what}`, async function () {
      const res = await submit(body);
      assert.equal(res.status, 422);
      assert.deepEqual(res.json, { detail });
    });
  }

  it('answers 422 for limit=501 on the listing', async function () {
    const res = await http(`${m.url}/api/v1/decisions?limit=501`);
    assert.equal(res.status, 422);
    assert.deepEqual(res.json, { detail: 'Request validation failed: query → limit: Input should be less than or equal to 500' });
  });
});
