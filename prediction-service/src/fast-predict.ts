/**
 * A lean HTTP path for `POST /api/v1/ml/predict` ahead of express: the requests every client
 * sends (exact path, `Content-Type: application/json`, a Content-Length within the body limit, no
 * Content-Encoding) are read, checked and answered here, byte for byte as the express stack
 * answers them; everything else goes to express untouched.
 *
 *   const listener = withFastPredict({ app, logger, registry, verifier, predict });
 *   http.createServer(listener);
 *
 * What express does for such a request, and this path does in the same order with the same
 * shared pieces: X-Request-ID (kept or a fresh UUID, echoed first) and the request's log context;
 * body-parser's JSON reading (UTF-8 via StringDecoder, a leading BOM dropped, an empty body is
 * `{}`, strict mode: anything but an object or array, or broken JSON, is the 422
 * "JSON decode error" of `toHttpError`); then the X-API-Key check (403); then the route's work;
 * the answer as `res.json` writes it (`Content-Type: application/json; charset=utf-8`,
 * Content-Length, no ETag); errors through the same `toHttpError` catalogue, 5xx logged; the
 * `http_requests_total` / `http_request_duration_seconds` samples and the access log line as the
 * skeleton records them (handler `/api/v1/ml/predict`, or `unmatched` for a body refused before
 * express would have matched the route).
 *
 * Measured: express (router, three body parsers, response helpers) cost more per predict than
 * onnxruntime and TreeSHAP together.
 */
import type http from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { apiKeyOf, requestContext, requestIdFrom, statusClass, toHttpError, type ApiKeyVerifier, type Logger, type prom } from '@smp/platform';

export const PREDICT_PATH = '/api/v1/ml/predict';

/** The skeleton's handler label for a request answered before a route matched (`routeTemplate`). */
const UNMATCHED = 'unmatched';

/** The skeleton's JSON body limit ('1mb' in express syntax). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Content-Type values taken here (compared lower-cased); others go through express's type matching. */
const JSON_TYPES = new Set(['application/json', 'application/json; charset=utf-8', 'application/json;charset=utf-8']);

/** body-parser's error for JSON it refuses; `toHttpError` maps it to the legacy 422. */
const PARSE_FAILED = Object.freeze({ type: 'entity.parse.failed', status: 400 });

/** The first character that is not JSON whitespace (RFC 7159: space, tab, LF, CR), or undefined. */
function firstNonWhitespace(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return text[i];
  }
  return undefined;
}

/** A header value node writes back as it came (its outgoing check); other request ids stay with express. */
const WRITABLE_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export interface FastPredictOptions {
  /** Everything not taken here. */
  app: http.RequestListener;
  logger: Logger;
  /** The app's Registry, where the skeleton registered its HTTP metrics. */
  registry: prom.Registry;
  verifier: ApiKeyVerifier;
  /** The route's work after the key check: validate the parsed body, answer the response body. */
  predict: (headers: http.IncomingHttpHeaders, body: unknown) => Promise<unknown>;
  /** Headers the route adds to a success (after X-Request-ID, before Content-Type). */
  successHeaders?: Readonly<Record<string, string>>;
}

/** True when this request is one the lean path answers exactly as express would. */
export function takesFastPath(req: http.IncomingMessage): boolean {
  if (req.method !== 'POST' || req.url !== PREDICT_PATH) return false;
  const headers = req.headers;
  const type = headers['content-type'];
  if (type === undefined || !JSON_TYPES.has(type.toLowerCase())) return false;
  if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
  const length = headers['content-length'];
  if (length === undefined || !/^[0-9]{1,8}$/.test(length) || Number(length) > BODY_LIMIT_BYTES) return false;
  const id = headers['x-request-id'];
  return id === undefined || (typeof id === 'string' && WRITABLE_HEADER_VALUE.test(id));
}

/** body-parser's strict JSON parse (UTF-8 already decoded); throws PARSE_FAILED where it throws. */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return {};
  const c = text[0];
  if (c !== '{' && c !== '[') {
    const first = firstNonWhitespace(text);
    if (first !== '{' && first !== '[') throw PARSE_FAILED;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw PARSE_FAILED;
  }
}

/** raw-body's UTF-8 decoding (iconv-lite: StringDecoder, BOM stripped). */
function decodeUtf8(chunks: Buffer[]): string {
  const decoder = new StringDecoder('utf8');
  let text = '';
  for (const chunk of chunks) text += decoder.write(chunk);
  text += decoder.end();
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function metric<T>(registry: prom.Registry, name: string): T {
  const found = registry.getSingleMetric(name);
  if (!found) throw new Error(`metric ${name} is not registered (create the app with createHttpApp first)`);
  return found as unknown as T;
}

export function withFastPredict(options: FastPredictOptions): http.RequestListener {
  const { app, logger, verifier, predict } = options;
  const requests = metric<prom.Counter<'handler' | 'method' | 'status'>>(options.registry, 'http_requests_total');
  const duration = metric<prom.Histogram<'handler' | 'method'>>(options.registry, 'http_request_duration_seconds');
  const observeDuration = duration.labels(PREDICT_PATH, 'POST');
  /** Requests refused while their body was read: express had not matched a route yet. */
  const unrouted = new WeakSet<http.IncomingMessage>();
  const extra = Object.entries(options.successHeaders ?? {});

  const send = (res: http.ServerResponse, requestId: string, status: number, body: unknown, headers: ReadonlyArray<[string, string]>): void => {
    const json = JSON.stringify(body);
    // The order express gives them: X-Request-ID (set first), the route's own, then res.json's.
    const out: string[] = ['X-Request-ID', requestId];
    for (const [name, value] of headers) out.push(name, value);
    out.push('Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(Buffer.byteLength(json)));
    res.writeHead(status, out);
    res.end(json);
  };

  const fail = (res: http.ServerResponse, requestId: string, err: unknown): void => {
    const mapped = toHttpError(err);
    if (mapped.status >= 500) {
      logger.error('request failed', {
        correlation_id: requestId,
        code: mapped.code,
        error: (err as Error)?.message,
        stack: (err as Error)?.stack,
      });
    }
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    send(res, requestId, mapped.status, mapped.body, Object.entries(mapped.headers));
  };

  const answer = async (req: http.IncomingMessage, res: http.ServerResponse, requestId: string, chunks: Buffer[]): Promise<void> => {
    try {
      let body: unknown;
      try {
        body = parseJsonBody(chunks.length === 0 ? '' : decodeUtf8(chunks));
      } catch (err) {
        unrouted.add(req);
        throw err;
      }
      verifier.verify(apiKeyOf(req));
      const result = await predict(req.headers, body);
      send(res, requestId, 200, result, extra);
    } catch (err) {
      try {
        fail(res, requestId, err);
      } catch (again) {
        logger.error('could not answer a predict request', { correlation_id: requestId, error: (again as Error).message });
        res.destroy();
      }
    }
  };

  const fast = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = process.hrtime.bigint();
    const requestId = requestIdFrom(req.headers);
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const handler = unrouted.has(req) ? UNMATCHED : PREDICT_PATH;
      requests.inc({ handler, method: 'POST', status: statusClass(res.statusCode) });
      if (handler === PREDICT_PATH) observeDuration.observe(seconds);
      else duration.observe({ handler, method: 'POST' }, seconds);
      if (logger.isLevelEnabled('http')) {
        logger.http('request', {
          correlation_id: requestId,
          method: 'POST',
          handler,
          status: res.statusCode,
          duration_ms: Math.round(seconds * 1e6) / 1e3,
        });
      }
    });
    requestContext.run({ requestId }, () => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.once('end', () => void answer(req, res, requestId, chunks));
      // raw-body's "request aborted" (an error without a catalogue entry): what express answers it with.
      req.once('aborted', () => {
        unrouted.add(req);
        fail(res, requestId, Object.assign(new Error('request aborted'), { type: 'request.aborted', status: 400 }));
      });
    });
  };

  return (req, res) => {
    if (takesFastPath(req)) fast(req, res);
    else app(req, res);
  };
}
