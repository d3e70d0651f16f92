import assert from 'node:assert/strict';
import { AppError, fields, parseBody, parseQuery, validationDetail, z } from '../src/index.js';

// Expected messages were produced by pydantic 2.13 (`Model.model_validate(data, from_attributes=True)`,
// which is how FastAPI validates a body) for the equivalent Python model.
const Item = fields.model({ value: fields.number() });
const Model = fields.model({
  s: fields.str().nullable().default(null),
  f: fields.number().nullable().default(null),
  q: fields.number({ ge: 0, le: 1 }).default(1),
  g: fields.number({ gt: 0, lt: 1 }).default(0.5),
  i: fields.int({ gt: 0, le: 1440 }).default(60),
  b: fields.bool().default(true),
  d: fields.dict().nullable().default(null),
  l: fields.list(Item).nullable().default(null),
  e: fields.enumOf(['temperature', 'vibration', 'pressure'] as const).nullable().default(null),
  u: fields.uuid().nullable().default(null),
  t: fields.datetime().nullable().default(null),
});

function detailOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    assert.equal(err.status, 422);
    return String(err.detail);
  }
  assert.fail('expected a validation error');
}

describe('pydantic-style validation', function () {
  const rejected: Array<[string, unknown, string]> = [
    ['s', 1, 'Input should be a valid string'],
    ['f', 'abc', 'Input should be a valid number, unable to parse string as a number'],
    ['f', [1], 'Input should be a valid number'],
    ['f', '0x10', 'Input should be a valid number, unable to parse string as a number'],
    ['q', 2, 'Input should be less than or equal to 1'],
    ['q', -1, 'Input should be greater than or equal to 0'],
    ['q', null, 'Input should be a valid number'],
    ['g', 0, 'Input should be greater than 0'],
    ['g', 1, 'Input should be less than 1'],
    ['i', 'abc', 'Input should be a valid integer, unable to parse string as an integer'],
    ['i', '1.5', 'Input should be a valid integer, unable to parse string as an integer'],
    ['i', '1e3', 'Input should be a valid integer, unable to parse string as an integer'],
    ['i', 1.5, 'Input should be a valid integer, got a number with a fractional part'],
    ['i', 0, 'Input should be greater than 0'],
    ['i', 2000, 'Input should be less than or equal to 1440'],
    ['i', null, 'Input should be a valid integer'],
    ['b', 'maybe', 'Input should be a valid boolean, unable to interpret input'],
    ['b', 2, 'Input should be a valid boolean, unable to interpret input'],
    ['b', ' yes ', 'Input should be a valid boolean, unable to interpret input'],
    ['b', [], 'Input should be a valid boolean'],
    ['d', [], 'Input should be a valid dictionary'],
    ['d', 'x', 'Input should be a valid dictionary'],
    ['l', 'x', 'Input should be a valid list'],
    ['e', 'x', "Input should be 'temperature', 'vibration' or 'pressure'"],
    ['e', 1, "Input should be 'temperature', 'vibration' or 'pressure'"],
    ['u', 'abc', 'Input should be a valid UUID, invalid length: expected length 32 for simple format, found 3'],
    ['u', 'not-a-uuid', 'Input should be a valid UUID, invalid character: found `n` at 1'],
    ['u', 123, 'UUID input should be a string, bytes or UUID object'],
    ['u', '', 'Input should be a valid UUID, invalid length: expected length 32 for simple format, found 0'],
    ['u', '12345678-1234-1234-1234-1234567890', 'Input should be a valid UUID, invalid group length in group 4: expected 12, found 10'],
    ['u', '12345678-12341234-1234-123456789012', 'Input should be a valid UUID, invalid group count: expected 5, found 4'],
    ['u', '1234567-12345-1234-1234-123456789012', 'Input should be a valid UUID, invalid group length in group 0: expected 8, found 7'],
    ['u', '1234567812341234123412345678901z', 'Input should be a valid UUID, invalid character: found `z` at 32'],
    ['u', '12345678-1234-1234-1234-123456789012 ', 'Input should be a valid UUID, invalid character: found ` ` at 37'],
    ['u', 'urn:uuid:xyz', 'Input should be a valid UUID, invalid character: found `x` at 10'],
    ['u', '{1234}', 'Input should be a valid UUID, invalid group count: expected 5, found 1'],
    ['u', '0'.repeat(36), 'Input should be a valid UUID, invalid length: expected length 32 for simple format, found 36'],
    ['t', 'abc', 'Input should be a valid datetime or date, input is too short'],
    ['t', '', 'Input should be a valid datetime or date, input is too short'],
    ['t', '2025-13-01', 'Input should be a valid datetime or date, month value is outside expected range of 1-12'],
    ['t', '2025-02-30', 'Input should be a valid datetime or date, day value is outside expected range'],
    ['t', '2025-01-01T25:00:00', 'Input should be a valid datetime or date, unexpected extra characters at the end of the input'],
    ['t', '2025-01-01T10:00:00+25:00', 'Input should be a valid datetime or date, unexpected extra characters at the end of the input'],
    ['t', 'x'.repeat(30), 'Input should be a valid datetime or date, invalid character in year'],
    ['t', '2025/01/01', 'Input should be a valid datetime or date, invalid date separator, expected `-`'],
    ['t', true, 'Input should be a valid datetime'],
    ['t', {}, 'Input should be a valid datetime'],
  ];
  for (const [key, value, message] of rejected) {
    it(`rejects ${key}=${JSON.stringify(value)} with "${message}"`, function () {
      assert.equal(detailOf(() => parseBody(Model, { [key]: value })), `Request validation failed: body → ${key}: ${message}`);
    });
  }

  const accepted: Array<[string, unknown, unknown]> = [
    ['f', true, 1],
    ['f', '1.5', 1.5],
    ['f', ' 1.5 ', 1.5],
    ['f', '1_000', 1000],
    ['f', '.5', 0.5],
    ['f', '-inf', -Infinity],
    ['i', '1.0', 1],
    ['i', '  12 ', 12],
    ['i', '+5', 5],
    ['i', true, 1],
    ['b', 'YES', true],
    ['b', 'T', true],
    ['b', 'off', false],
    ['b', 0, false],
    ['s', '', ''],
    ['u', 'ABCDEF78-1234-1234-1234-123456789012', 'abcdef78-1234-1234-1234-123456789012'],
    ['u', '{12345678-1234-1234-1234-123456789012}', '12345678-1234-1234-1234-123456789012'],
    ['u', 'urn:uuid:12345678-1234-1234-1234-123456789012', '12345678-1234-1234-1234-123456789012'],
    ['u', '12345678123412341234123456789012', '12345678-1234-1234-1234-123456789012'],
  ];
  for (const [key, value, expected] of accepted) {
    it(`accepts ${key}=${JSON.stringify(value)} as ${JSON.stringify(expected)}`, function () {
      const out = parseBody(Model, { [key]: value }) as Record<string, unknown>;
      assert.deepEqual(out[key], expected);
    });
  }

  const instants: Array<[unknown, string, boolean]> = [
    ['2025-01-01T10:00:00Z', '2025-01-01T10:00:00.000000Z', false],
    ['2025-01-01 10:00:00', '2025-01-01T10:00:00.000000Z', true],
    ['2025-01-01T10:00', '2025-01-01T10:00:00.000000Z', true],
    ['2025-01-01T10:00:00.123456789', '2025-01-01T10:00:00.123456Z', true],
    ['2025-01-01T12:30:00.5+02:30', '2025-01-01T10:00:00.500000Z', false],
    ['2025-01-01', '2025-01-01T00:00:00.000000Z', true],
    ['2025', '1970-01-01T00:33:45.000000Z', false],
    ['-5', '1969-12-31T23:59:55.000000Z', false],
    ['1700000000000', '2023-11-14T22:13:20.000000Z', false],
    [1.5, '1970-01-01T00:00:01.500000Z', false],
    [1700000000, '2023-11-14T22:13:20.000000Z', false],
  ];
  for (const [value, iso, naive] of instants) {
    it(`reads the datetime ${JSON.stringify(value)} as ${iso}${naive ? ' (naive)' : ''}`, function () {
      const out = parseBody(Model, { t: value });
      assert.equal(out.t?.iso, iso);
      assert.equal(out.t?.naive, naive);
      assert.equal(out.t?.date.toISOString(), `${iso.slice(0, 23)}Z`);
    });
  }

  it('applies defaults and ignores unknown fields: {} -> q=1, b=true, d=null', function () {
    const out = parseBody(Model, { unknown_field: 42 });
    assert.equal(out.q, 1);
    assert.equal(out.b, true);
    assert.equal(out.d, null);
    assert.ok(!('unknown_field' in out));
  });

  it('reports a missing required field as "body → value: Field required"', function () {
    const schema = fields.model({ sensor_id: fields.str(), value: fields.number() });
    assert.equal(detailOf(() => parseBody(schema, { sensor_id: 's' })), 'Request validation failed: body → value: Field required');
  });

  it('reports a missing body as "body: Field required" and a non-object body like FastAPI', function () {
    const schema = fields.model({ value: fields.number() });
    assert.equal(detailOf(() => parseBody(schema, undefined)), 'Request validation failed: body: Field required');
    assert.equal(detailOf(() => parseBody(schema, [1])), 'Request validation failed: body: Input should be a valid dictionary or object to extract fields from');
  });

  it('locates list items by index: body → l → 0 → value and body → l → 1', function () {
    assert.equal(
      detailOf(() => parseBody(Model, { l: [{}, 1] })),
      'Request validation failed: body → l → 0 → value: Field required; body → l → 1: Input should be a valid dictionary or object to extract fields from',
    );
  });

  it('lists 5 issues of 7 then "; (+2 more validation issues)"', function () {
    const schema = fields.model({ a: fields.str(), b: fields.str(), c: fields.str(), d: fields.str(), e: fields.str(), f: fields.str(), g: fields.str() });
    assert.equal(
      detailOf(() => parseBody(schema, {})),
      'Request validation failed: body → a: Field required; body → b: Field required; body → c: Field required; ' +
        'body → d: Field required; body → e: Field required; (+2 more validation issues)',
    );
  });

  it('coerces query strings: limit="10" -> 10, limit="abc" -> query → limit error, repeated -> last value', function () {
    const schema = fields.model({ limit: fields.int({ ge: 1, le: 1000 }).default(100), sensor_id: fields.str().nullable().default(null) });
    assert.deepEqual(parseQuery(schema, { limit: '10' }), { limit: 10, sensor_id: null });
    assert.deepEqual(parseQuery(schema, { limit: ['5', '7'] }), { limit: 7, sensor_id: null });
    assert.equal(
      detailOf(() => parseQuery(schema, { limit: 'abc' })),
      'Request validation failed: query → limit: Input should be a valid integer, unable to parse string as an integer',
    );
    assert.equal(detailOf(() => parseQuery(schema, { limit: '0' })), 'Request validation failed: query → limit: Input should be greater than or equal to 1');
  });

  it('formats an empty issue list and an empty location the way the legacy handler did', function () {
    assert.equal(validationDetail([]), 'Request validation failed: Request validation failed');
    assert.equal(validationDetail([{ loc: [], msg: 'x' }]), 'Request validation failed: payload: x');
  });

  it('types the parsed output (compile-time check through z.output)', function () {
    const schema = fields.model({ n: fields.number() });
    const out: z.output<typeof schema> = parseBody(schema, { n: '3' });
    assert.equal(out.n, 3);
  });
});
