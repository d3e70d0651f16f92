/**
 * The client's request body on its way upstream. Up to `cap` bytes are read into memory before the
 * upstream is called (like nginx's request buffering): a buffered body can be sent again to legacy
 * when the candidate fails, and a small JSON body goes out in one write. A body larger than the cap
 * streams: the buffered part first, then the rest as it arrives, and cannot be replayed.
 *
 *   readRequestBody(req, 1 << 20, observer, (err, body) => …)
 *   // body: { kind: 'none' } | { kind: 'buffer', data: Buffer } | { kind: 'stream', data: Readable }
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { ExchangeObserver } from '../exchange.js';

export type RequestBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'buffer'; readonly data: Buffer }
  | { readonly kind: 'stream'; readonly data: Readable };

export const NO_BODY: RequestBody = Object.freeze({ kind: 'none' });

/** Does this request carry a body at all (RFC 9112 §6.3: Content-Length > 0 or Transfer-Encoding)? */
export function hasBody(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) return true;
  const cl = req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

async function* continued(prefix: Buffer[], size: number, req: IncomingMessage, observer: ExchangeObserver | null, limit: number): AsyncIterable<Buffer> {
  for (const chunk of prefix) yield chunk;
  let total = size;
  // destroyOnReturn: false: if the upstream gives up, the client's socket must live on for the 502.
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      // Too large, and the head is already upstream: cut both ends rather than forward part of it.
      req.destroy();
      throw new Error('request body over CLIENT_BODY_LIMIT_BYTES');
    }
    observer?.requestChunk(chunk);
    yield chunk;
  }
  observer?.requestEnd();
}

type BodyDone = (err: Error | null, body: RequestBody) => void;

/** Read the body (see above); `done` is called once, with an error if the client went away. A streamed body over `limit` bytes is cut. */
export function readRequestBody(req: IncomingMessage, cap: number, observer: ExchangeObserver | null, done: BodyDone, limit = Number.POSITIVE_INFINITY): void {
  if (!hasBody(req)) {
    observer?.requestEnd();
    done(null, NO_BODY);
    return;
  }
  // The request handler runs when the head is parsed; the body bytes of the same socket read are
  // parsed right after it returns. A tick later, a small body that came with its head is buffered
  // in `req` whole (all Content-Length bytes): taken in one read, without the listeners and stream
  // ticks of the general path.
  const length = req.headers['transfer-encoding'] === undefined ? Number(req.headers['content-length']) : Number.NaN;
  if (length > 0 && length <= cap) process.nextTick(readBuffered, req, length, cap, observer, done);
  else readStreamed(req, cap, observer, done, limit);
}

function readBuffered(req: IncomingMessage, length: number, cap: number, observer: ExchangeObserver | null, done: BodyDone): void {
  // A declared length is checked before reading (request-guard.ts): no limit to apply here.
  if (req.readableLength === length && !req.destroyed && req.listenerCount('data') === 0) {
    // read() with no size hands over everything buffered; the parser delivers no byte past Content-Length.
    const data = req.read() as Buffer | null;
    if (data !== null) {
      if (observer !== null) {
        observer.requestChunk(data);
        observer.requestEnd();
      }
      done(null, { kind: 'buffer', data });
      return;
    }
  }
  readStreamed(req, cap, observer, done);
}

function readStreamed(req: IncomingMessage, cap: number, observer: ExchangeObserver | null, done: BodyDone, limit = Number.POSITIVE_INFINITY): void {
  if (req.destroyed && !req.complete) {
    done(new Error('client closed the connection while sending the body'), NO_BODY);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const cleanup = () => {
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
    req.off('close', onClose);
  };
  const onData = (chunk: Buffer) => {
    observer?.requestChunk(chunk);
    chunks.push(chunk);
    size += chunk.length;
    if (size > cap) {
      finished = true;
      req.pause();
      cleanup();
      done(null, { kind: 'stream', data: Readable.from(continued(chunks, size, req, observer, limit), { objectMode: false }) });
    }
  };
  const onEnd = () => {
    finished = true;
    cleanup();
    observer?.requestEnd();
    done(null, { kind: 'buffer', data: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size) });
  };
  const onError = (err: Error) => {
    if (finished) return;
    finished = true;
    cleanup();
    done(err, NO_BODY);
  };
  const onClose = () => {
    if (!finished && !req.complete) onError(new Error('client closed the connection while sending the body'));
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
  req.on('close', onClose);
}
