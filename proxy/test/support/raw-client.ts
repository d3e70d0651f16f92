/**
 * A raw HTTP/1.1 client for transparency tests: sends exactly what it is told (chunked bodies,
 * Expect: 100-continue, HEAD) on a fresh connection and returns the raw answer.
 */
import http from 'node:http';

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  /** One buffer (Content-Length) or several chunks (Transfer-Encoding: chunked). */
  body?: Buffer | Buffer[];
  /** Send `Expect: 100-continue` and hold the body until the 100 arrives. */
  expectContinue?: boolean;
}

export interface RawResponse {
  status: number;
  statusMessage: string;
  /** Header [name (lowercase), value] pairs in wire order. */
  headers: Array<[string, string]>;
  body: Buffer;
  sawContinue: boolean;
}

/** Headers that describe one connection (or the moment), not the answer: left out of comparisons. */
const PER_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);

export function endToEnd(headers: Array<[string, string]>): Array<[string, string]> {
  return headers.filter(([name]) => !PER_HOP.has(name));
}

export function rawRequest(base: string, request: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(request.path, base);
    const headers: Record<string, string> = { ...(request.headers ?? {}) };
    const body = request.body;
    if (Buffer.isBuffer(body)) headers['content-length'] = String(body.length);
    if (request.expectContinue) headers.expect = '100-continue';
    const req = http.request({ host: url.hostname, port: url.port, path: request.path, method: request.method ?? 'GET', headers, agent: false });
    let sawContinue = false;
    const writeBody = () => {
      if (body === undefined) req.end();
      else if (Buffer.isBuffer(body)) req.end(body);
      else {
        for (const chunk of body) req.write(chunk);
        req.end();
      }
    };
    req.on('continue', () => {
      sawContinue = true;
      writeBody();
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
        resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: pairs, body: Buffer.concat(chunks), sawContinue });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (request.expectContinue) req.flushHeaders();
    else writeBody();
  });
}
