/**
 * W3C trace context: a valid client `traceparent` is passed on unchanged; a missing or malformed
 * one is replaced by a fresh sampled one (`00-<32 hex trace id>-<16 hex parent id>-01`), so every
 * upstream call can be correlated. New request ids (`X-Request-ID`, a UUID v4) come from the same
 * block of random bytes.
 */
import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;

export function isValidTraceparent(value: string): boolean {
  const m = TRACEPARENT.exec(value);
  if (m === null) return false;
  if (m[1] === 'ff' || (m[1] === '00' && m[4] !== undefined)) return false;
  return !/^0+$/.test(m[2]) && !/^0+$/.test(m[3]);
}

// Random bytes drawn in blocks: one syscall per ~1000 ids instead of one per request (Node's own
// randomUUID refills every 128 ids, which showed in profiles of the hot path).
const pool = Buffer.alloc(24 * 1024);
let offset = pool.length;

/** The offset of `n` fresh random bytes in the pool. */
function take(n: number): number {
  if (offset + n > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const at = offset;
  offset += n;
  return at;
}

/** Are bytes [from, to) of the pool all zero? (An all-zero id is invalid.) */
function allZero(from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (pool[i] !== 0) return false;
  return true;
}

export function newTraceparent(): string {
  const at = take(24);
  // All-zero ids are invalid; the odds are 2^-128, but the spec says never send them.
  if (allZero(at, at + 16) || allZero(at + 16, at + 24)) return newTraceparent();
  return `00-${pool.toString('hex', at, at + 16)}-${pool.toString('hex', at + 16, at + 24)}-01`;
}

/** A random UUID v4 (RFC 9562), as crypto.randomUUID() gives. */
export function newRequestId(): string {
  const at = take(16);
  pool[at + 6] = (pool[at + 6] & 0x0f) | 0x40;
  pool[at + 8] = (pool[at + 8] & 0x3f) | 0x80;
  const hex = pool.toString('hex', at, at + 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
