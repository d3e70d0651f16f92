import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { clientResponseHeaders, headersObject, upstreamRequestHeaders } from '../src/upstream/forward-headers.js';
import { isValidTraceparent, newRequestId, newTraceparent } from '../src/upstream/trace-context.js';

function fakeRequest(raw: string[]): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) headers[raw[i].toLowerCase()] = raw[i + 1];
  return { rawHeaders: raw, headers, socket: {} } as unknown as IncomingMessage;
}

function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i].toLowerCase()] = flat[i + 1];
  return out;
}

describe('forwarded headers', function () {
  it('drops hop-by-hop headers, Expect, the headers Connection names, client-sent variants and X-Shadow-Request', function () {
    const req = fakeRequest([
      'Host', 'api.local', 'Connection', 'keep-alive, X-Hop', 'X-Hop', 'secret', 'Keep-Alive', 'timeout=5', 'TE', 'trailers',
      'Transfer-Encoding', 'chunked', 'Expect', '100-continue', 'X-Migrate-Variant', 'forged', 'X-Shadow-Request', '1', 'Content-Type', 'application/json',
    ]);
    const out = pairs(upstreamRequestHeaders(req, { requestId: 'r-1', clientIp: '10.1.1.1' }));
    for (const gone of ['connection', 'x-hop', 'keep-alive', 'te', 'transfer-encoding', 'expect', 'x-migrate-variant', 'x-shadow-request']) assert.equal(out[gone], undefined, gone);
    assert.equal(out['content-type'], 'application/json');
    assert.equal(out.host, 'api.local');
  });

  it('appends the client IP to X-Forwarded-For and sets proto, host and X-Request-ID', function () {
    const req = fakeRequest(['Host', 'api.local', 'X-Forwarded-For', '203.0.113.7', 'X-Forwarded-Proto', 'gopher']);
    const out = pairs(upstreamRequestHeaders(req, { requestId: 'r-2', clientIp: '10.1.1.1' }));
    assert.equal(out['x-forwarded-for'], '203.0.113.7, 10.1.1.1');
    assert.equal(out['x-forwarded-proto'], 'http');
    assert.equal(out['x-forwarded-host'], 'api.local');
    assert.equal(out['x-request-id'], 'r-2');
  });

  const traceCases: Array<[string, string | undefined, boolean]> = [
    ['keeps a valid traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', true],
    ['replaces an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01', false],
    ['replaces version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', false],
    ['replaces garbage', 'hello', false],
    ['creates one when absent', undefined, false],
  ];
  for (const [what, given, kept] of traceCases) {
    it(`traceparent: ${what}`, function () {
      const req = fakeRequest(given === undefined ? [] : ['traceparent', given]);
      const tp = pairs(upstreamRequestHeaders(req, { requestId: 'r', clientIp: undefined })).traceparent;
      assert.ok(isValidTraceparent(tp), tp);
      assert.equal(tp === given, kept);
    });
  }

  it('makes 1,000 distinct valid traceparents', function () {
    const seen = new Set(Array.from({ length: 1000 }, () => newTraceparent()));
    assert.equal(seen.size, 1000);
    for (const tp of seen) assert.match(tp, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('makes 3,000 distinct UUID v4 request ids across refills of the random block', function () {
    const seen = new Set(Array.from({ length: 3000 }, () => newRequestId()));
    assert.equal(seen.size, 3000);
    for (const id of seen) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('passes response headers in order with repeated Set-Cookie, minus hop-by-hop ones', function () {
    const raw = ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Connection', 'close, X-Internal', 'X-Internal', 'x', 'Set-Cookie', 'b=2', 'Transfer-Encoding', 'chunked'].map((s) => Buffer.from(s));
    const out = clientResponseHeaders(raw);
    assert.deepEqual(out, ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
    assert.deepEqual(headersObject(out), { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
  });
});
