/**
 * W3C trace context: a valid client `traceparent` is passed on unchanged; a missing or malformed
 * one is replaced by a fresh sampled one (`00-<32 hex trace id>-<16 hex parent id>-01`), so every
 * upstream call can be correlated.
 */
import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;

export function isValidTraceparent(value: string): boolean {
  const m = TRACEPARENT.exec(value);
  if (m === null) return false;
  if (m[1] === 'ff' || (m[1] === '00' && m[4] !== undefined)) return false;
  return !/^0+$/.test(m[2]) && !/^0+$/.test(m[3]);
}

// Random bytes drawn in blocks: one syscall per 170 trace ids instead of one per request.
const pool = Buffer.alloc(24 * 170);
let offset = pool.length;

export function newTraceparent(): string {
  if (offset + 24 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const trace = pool.toString('hex', offset, offset + 16);
  const parent = pool.toString('hex', offset + 16, offset + 24);
  offset += 24;
  // All-zero ids are invalid; the odds are 2^-128, but the spec says never send them.
  if (/^0+$/.test(trace) || /^0+$/.test(parent)) return newTraceparent();
  return `00-${trace}-${parent}-01`;
}
