import assert from 'node:assert/strict';
import { http } from '../src/testkit/index.js';
import {
  createHttpApp,
  createRegistry,
  fields,
  finishHttpApp,
  legacyBodyReaders,
  parseBody,
  serve,
  silentLogger,
  type RunningService,
} from '../src/index.js';

/** What a handler found in `req.body`. */
function describeBody(body: unknown): string {
  if (body === undefined) return 'undefined';
  if (Buffer.isBuffer(body)) return `bytes ${JSON.stringify(body.toString('utf8'))}`;
  return `json ${JSON.stringify(body)}`;
}

describe('legacy body readers (FastAPI reading of bodies without or with another Content-Type)', function () {
  let running: RunningService;
  before(async function () {
    const logger = silentLogger();
    const app = createHttpApp({ service: 'legacy-body-test', logger, registry: createRegistry({ service: 'legacy-body-test', processMetrics: false }) });
    app.use(legacyBodyReaders('1kb'));
    app.post('/seen', (req, res) => {
      res.json({ seen: describeBody(req.body) });
    });
    app.post('/validated', (req, res) => {
      res.json(parseBody(fields.model({ name: fields.str() }), req.body));
    });
    running = await serve(finishHttpApp(app, { logger }), { port: 0, host: '127.0.0.1', logger });
  });
  after(async function () {
    await running?.close();
  });

  // [what, Content-Type (undefined: none sent), body, what the handler sees]
  const seen: Array<[string, string | undefined, string | undefined, string]> = [
    ['a JSON object with application/json', 'application/json', '{"name":"a"}', 'json {"name":"a"}'],
    ['a JSON object with application/merge-patch+json', 'application/merge-patch+json', '{"name":"a"}', 'json {"name":"a"}'],
    ['a JSON object without Content-Type', undefined, '{"name":"a"}', 'json {"name":"a"}'],
    ['a JSON array without Content-Type', undefined, '[1,2]', 'json [1,2]'],
    ['JSON text under text/plain', 'text/plain', '{"name":"a"}', 'bytes "{\\"name\\":\\"a\\"}"'],
    ['a form', 'application/x-www-form-urlencoded', 'name=a', 'bytes "name=a"'],
    // Content-Length: 0 counts as a body to body-parser, and an empty JSON body reads as {}.
    ['an empty body (Content-Length: 0) and no Content-Type', undefined, undefined, 'json {}'],
  ];
  for (const [what, type, body, expected] of seen) {
    it(`hands the handler ${expected} for ${what}`, async function () {
      const res = await http(`${running.url}/seen`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.seen, expected);
    });
  }

  // [what, Content-Type, body, status, detail]
  const refused: Array<[string, string | undefined, string | undefined, number, string]> = [
    ['a text/plain body', 'text/plain', '{"name":"a"}', 422, 'Request validation failed: body: Input should be a valid dictionary or object to extract fields from'],
    ['a form', 'application/x-www-form-urlencoded', 'name=a', 422, 'Request validation failed: body: Input should be a valid dictionary or object to extract fields from'],
    ['broken JSON without Content-Type', undefined, '{', 422, 'Request validation failed: body: JSON decode error'],
    ['an empty body without Content-Type', undefined, undefined, 422, 'Request validation failed: body → name: Field required'],
    ['2 kB of JSON without Content-Type over a 1 kB limit', undefined, JSON.stringify({ name: 'x'.repeat(2048) }), 413, 'Request body too large'],
    ['2 kB of text over a 1 kB limit', 'text/plain', 'x'.repeat(2048), 413, 'Request body too large'],
  ];
  for (const [what, type, body, status, detail] of refused) {
    it(`refuses ${what} with ${status} "${detail}"`, async function () {
      const res = await http(`${running.url}/validated`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body });
      assert.equal(res.status, status, res.text);
      assert.deepEqual(res.json, { detail });
    });
  }

  it('accepts {"name":"a"} sent without Content-Type as the parsed object', async function () {
    const res = await http(`${running.url}/validated`, { method: 'POST', body: '{"name":"a","extra":1}' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { name: 'a' });
  });
});
