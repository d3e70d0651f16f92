import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { eventually } from '@smp/platform/testkit';
import { startHarness, type Harness } from './support/proxy-harness.js';
import { endToEnd, rawRequest, type RawRequest, type RawResponse } from './support/raw-client.js';

describe('transparency: the same request direct and through the proxy', function () {
  let h: Harness;

  before(async function () {
    h = await startHarness();
  });
  after(async function () {
    await h?.close();
  });

  async function both(request: RawRequest): Promise<{ direct: RawResponse; proxied: RawResponse }> {
    const direct = await rawRequest(h.legacy.url, request);
    const proxied = await rawRequest(h.proxy.url, request);
    return { direct, proxied };
  }

  function assertSame(direct: RawResponse, proxied: RawResponse): void {
    assert.equal(proxied.status, direct.status);
    assert.equal(proxied.statusMessage, direct.statusMessage);
    assert.deepEqual(endToEnd(proxied.headers), endToEnd(direct.headers));
    assert.ok(proxied.body.equals(direct.body), `bodies differ: ${proxied.body.length} vs ${direct.body.length} bytes`);
  }

  const cases: Array<[string, RawRequest]> = [
    ['a JSON POST', { method: 'POST', path: '/json', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"machine_id":"m-1","readings":[1.5,2,3]}') }],
    ['a chunked request body of 3 chunks', { method: 'POST', path: '/json', headers: { 'content-type': 'application/json' }, body: [Buffer.from('{"a":'), Buffer.from('[1,2,'), Buffer.from('3]}')] }],
    ['a 10 MB request body', { method: 'POST', path: '/json', body: randomBytes(10 * 1024 * 1024) }],
    ['a 2 MB chunked request body (past the fallback buffer)', { method: 'POST', path: '/json', body: Array.from({ length: 32 }, () => randomBytes(64 * 1024)) }],
    ['a 10 MB response body', { path: '/big/10485760' }],
    ['a chunked response', { path: '/chunked' }],
    ['HEAD', { method: 'HEAD', path: '/etag' }],
    ['a 204', { method: 'DELETE', path: '/status/204' }],
    ['a 304 for a matching If-None-Match', { path: '/etag', headers: { 'if-none-match': '"v1"' } }],
    ['a 404 JSON error', { path: '/status/404' }],
    ['three Set-Cookie headers', { path: '/cookies' }],
    ['an encoded query string', { path: '/query?name=a%20b&x=%2F%3F%26&emoji=%F0%9F%98%80&empty=&flag' }],
    ['Expect: 100-continue', { method: 'POST', path: '/json', body: Buffer.from('{"late":true}'), expectContinue: true }],
  ];
  for (const [what, request] of cases) {
    it(`answers ${what} with the same status, end-to-end headers and body bytes`, async function () {
      const { direct, proxied } = await both(request);
      assertSame(direct, proxied);
      if (request.expectContinue) assert.ok(proxied.sawContinue, 'the proxy sent 100 Continue');
    });
  }

  it('forwards a 10 MB body byte for byte (same length and sha256 at the upstream)', async function () {
    const body = randomBytes(10 * 1024 * 1024);
    const res = await rawRequest(h.proxy.url, { method: 'POST', path: '/json', body });
    const json = JSON.parse(res.body.toString('utf8'));
    assert.equal(json.bytes, body.length);
    assert.equal(json.sha256, (await import('node:crypto')).createHash('sha256').update(body).digest('hex'));
  });

  it('cancels the upstream request when the client disconnects mid-response', async function () {
    await new Promise<void>((resolve, reject) => {
      const req = http.get(`${h.proxy.url}/slow`, { agent: false }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', (err) => ((err as { code?: string }).code === 'ECONNRESET' ? undefined : reject(err)));
    });
    await eventually(() => {
      const seen = h.legacy.seen.filter((s) => s.url === '/slow');
      assert.equal(seen.length, 1);
      assert.equal(seen[0].aborted, true, 'the upstream response was cut off');
    }, 3_000);
  });

  for (const protocol of ['websocket', 'echo']) {
    it(`tunnels an Upgrade: ${protocol} request to legacy and echoes bytes both ways`, async function () {
      const reply = await new Promise<string>((resolve, reject) => {
        const req = http.request(`${h.proxy.url}/socket`, { headers: { connection: 'Upgrade', upgrade: protocol }, agent: false });
        req.on('upgrade', (res, socket) => {
          assert.equal(res.statusCode, 101);
          socket.once('data', (d: Buffer) => {
            resolve(d.toString());
            socket.destroy();
          });
          socket.write('hello');
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(reply, 'legacy:hello');
    });
  }
});
