/**
 * A small real HTTP upstream for proxy tests, on port 0. Paths:
 *   /json               JSON {bytes, sha256, json?} of the request body (no headers: same direct or proxied)
 *   /query…             the raw request URL as text
 *   anything else       JSON {method, url, headers, body, bodyBytes, bodySha256} (headers as received)
 *   /status/<code>      that status, small JSON body (no body for 204/304)
 *   /cookies            three Set-Cookie headers
 *   /etag               304 when If-None-Match matches, else 200 with an ETag
 *   /big/<bytes>        a body of that many bytes (deterministic pattern)
 *   /slow               streams 20 chunks of 1 KiB every 50 ms (client aborts are recorded)
 *   /hang               never answers
 *   /chunked            a chunked response without Content-Length
 *   /upgrade            (Upgrade: echo) switches protocol and echoes bytes
 * Every request is recorded; `behaviour` can make the whole server fail (for candidates).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
  /** The response was closed before it finished (the proxy aborted it). */
  aborted: boolean;
}

/**
 * How the whole server fails: 500s, never answering, a reset before the head, or after a 200 JSON
 * head: a reset (RST), a body cut short of its Content-Length, a body that stops and hangs, or a
 * complete body that is not JSON.
 */
export type Behaviour = 'normal' | 'fail-500' | 'hang' | 'reset' | 'reset-after-head' | 'truncated' | 'stall-body' | 'garbage-json';

export interface TestUpstream {
  url: string;
  port: number;
  name: string;
  seen: SeenRequest[];
  behaviour: Behaviour;
  close(): Promise<void>;
}

function pattern(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

export async function startTestUpstream(name = 'upstream'): Promise<TestUpstream> {
  const sockets = new Set<Duplex>();
  const state: TestUpstream = { url: '', port: 0, name, seen: [], behaviour: 'normal', close: async () => undefined };
  const server = http.createServer((req, res) => {
    const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes: 0, aborted: false };
    state.seen.push(seen);
    res.on('close', () => {
      if (!res.writableFinished) seen.aborted = true;
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      seen.bodyBytes += c.length;
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (state.behaviour === 'hang' || req.url === '/hang') return;
      if (state.behaviour === 'reset') {
        req.socket.destroy();
        return;
      }
      if (state.behaviour === 'reset-after-head' || state.behaviour === 'truncated' || state.behaviour === 'stall-body') {
        const behaviour = state.behaviour;
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '64' });
        res.write('{"upstream":"' + name + '","partial":');
        res.flushHeaders();
        setTimeout(() => {
          if (behaviour === 'reset-after-head') req.socket.resetAndDestroy();
          else if (behaviour === 'truncated') req.socket.destroySoon();
        }, 20);
        return;
      }
      if (state.behaviour === 'garbage-json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"upstream":"' + name + '", oops');
        return;
      }
      if (state.behaviour === 'fail-500') {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ detail: `${name} failed` }));
        return;
      }
      const url = req.url ?? '/';
      res.setHeader('x-upstream', name);
      if (url === '/json') {
        let json: unknown = null;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          json = null;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), json: body.length <= 4096 ? json : null }));
      } else if (url.startsWith('/query')) {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(url);
      } else if (url.startsWith('/status/')) {
        const code = Number(url.slice(8, 11));
        res.writeHead(code, code === 204 || code === 304 ? {} : { 'content-type': 'application/json' });
        res.end(code === 204 || code === 304 ? undefined : JSON.stringify({ status: code }));
      } else if (url === '/cookies') {
        res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly', 'c=3; Max-Age=60']);
        res.setHeader('content-type', 'text/plain');
        res.end('cookies');
      } else if (url === '/etag') {
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { etag: '"v1"' });
          res.end();
        } else {
          res.writeHead(200, { etag: '"v1"', 'content-type': 'text/plain', 'cache-control': 'max-age=60' });
          res.end('fresh');
        }
      } else if (url.startsWith('/big/')) {
        const data = pattern(Number(url.slice(5)));
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(data.length) });
        res.end(data);
      } else if (url === '/chunked') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('one,');
        setTimeout(() => res.end('two'), 10);
      } else if (url === '/slow') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        let n = 0;
        const timer = setInterval(() => {
          if (res.destroyed || n === 20) {
            clearInterval(timer);
            if (!res.destroyed) res.end();
            return;
          }
          n += 1;
          res.write(Buffer.alloc(1024, n));
        }, 50);
      } else {
        const payload = JSON.stringify({
          upstream: name,
          method: req.method,
          url,
          headers: req.headers,
          bodyBytes: body.length,
          bodySha256: createHash('sha256').update(body).digest('hex'),
          body: body.length <= 4096 ? body.toString('utf8') : null,
        });
        res.writeHead(200, { 'content-type': 'application/json', 'x-echo': 'yes' });
        res.end(req.method === 'HEAD' ? undefined : payload);
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket: Duplex) => {
    state.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes: 0, aborted: false });
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from(`${name}:`), d])));
    socket.on('error', () => socket.destroy());
    socket.on('end', () => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return state;
}
