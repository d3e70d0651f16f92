import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { isShadowRequest, SHADOW_REQUEST_HEADER } from '../src/index.js';

describe('isShadowRequest', function () {
  it('names the header X-Shadow-Request', function () {
    assert.equal(SHADOW_REQUEST_HEADER, 'X-Shadow-Request');
  });

  // [headers as node parses them (names lower-cased), mirrored?]
  const cases: Array<[IncomingHttpHeaders, boolean]> = [
    [{ 'x-shadow-request': '1' }, true],
    [{ 'x-shadow-request': '1', 'x-api-key': 'k1' }, true],
    [{}, false],
    [{ 'x-shadow-request': '0' }, false],
    [{ 'x-shadow-request': '' }, false],
    [{ 'x-shadow-request': 'true' }, false],
    [{ 'x-shadow-request': '1, 1' }, false],
    [{ 'x-shadow': '1' }, false],
  ];
  for (const [headers, expected] of cases) {
    it(`says ${expected ? 'mirrored' : "a client's"} for ${JSON.stringify(headers)}`, function () {
      assert.equal(isShadowRequest({ headers }), expected);
    });
  }
});
