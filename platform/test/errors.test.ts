import assert from 'node:assert/strict';
import { AppError, STATUS, toHttpError } from '../src/index.js';

describe('error catalogue', function () {
  const cases: Array<[keyof typeof STATUS, number]> = [
    ['VALIDATION_FAILED', 422],
    ['NOT_AUTHENTICATED', 403],
    ['INVALID_API_KEY', 403],
    ['NOT_FOUND', 404],
    ['RATE_LIMITED', 429],
    ['UPSTREAM_UNAVAILABLE', 502],
    ['UPSTREAM_TIMEOUT', 504],
  ];
  for (const [code, status] of cases) {
    it(`maps ${code} to ${status} with a legacy {"detail"} body`, function () {
      const mapped = toHttpError(new AppError(code, `because ${code}`));
      assert.equal(mapped.status, status);
      assert.equal(mapped.code, code);
      assert.deepEqual(mapped.body, { detail: `because ${code}` });
    });
  }

  it('keeps response headers such as Retry-After', function () {
    const mapped = toHttpError(new AppError('RATE_LIMITED', 'Rate limit exceeded: 10 per 1 minute', { headers: { 'Retry-After': '42' } }));
    assert.equal(mapped.headers['Retry-After'], '42');
  });

  it('never leaks the message of an unknown error', function () {
    const mapped = toHttpError(new Error('password=hunter2 at db.ts:12'));
    assert.equal(mapped.status, 500);
    assert.deepEqual(mapped.body, { detail: 'Internal Server Error' });
  });
});
