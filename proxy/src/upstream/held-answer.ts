/**
 * A candidate's answer held back from the client until it is complete and sound (idempotent
 * routes, up to CANDIDATE_BUFFER_LIMIT_BYTES). While held, nothing is committed to the client, so a
 * candidate that resets, truncates, stalls or sends a broken JSON body after its head can still be
 * replaced by legacy's answer. The price: the client's first byte waits for the candidate's last
 * byte, and up to the limit per in-flight request sits in memory; larger answers stream (and a
 * failure mid-stream then cuts the client's connection, as before).
 *
 *   const held = new HeldAnswer(200, 'OK', headers, 1 << 20);
 *   held.add(chunk)            // false: over the limit, stream from here (held.chunks first)
 *   answerDefect('GET', held)  // null when the answer may go to the client
 */

export class HeldAnswer {
  readonly chunks: Buffer[] = [];
  size = 0;

  constructor(
    readonly status: number,
    readonly statusText: string,
    /** The client response headers (flat name/value list). */
    readonly headers: string[],
    private readonly limit: number,
  ) {}

  /** Keep a chunk; false once the answer is larger than the limit (the chunk is kept too). */
  add(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.size += chunk.length;
    return this.size <= this.limit;
  }

  body(): Buffer {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
  }
}

const JSON_TYPE = /^\s*application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** The first value of a header in a flat list, or undefined. */
function header(flat: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < flat.length; i += 2) if (flat[i].length === lowerName.length && flat[i].toLowerCase() === lowerName) return flat[i + 1];
  return undefined;
}

/** Why a complete answer must not reach the client, or null. Defect: it says (uncompressed) JSON and is not, empty included. */
export function answerDefect(method: string, held: { status: number; headers: readonly string[]; body(): Buffer }): 'invalid_body' | null {
  if (method === 'HEAD' || held.status === 204 || held.status === 304) return null;
  const encoding = header(held.headers, 'content-encoding');
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return null; // compressed: not ours to inflate
  const type = header(held.headers, 'content-type');
  if (type === undefined || !JSON_TYPE.test(type)) return null;
  try {
    JSON.parse(held.body().toString('utf8'));
    return null;
  } catch {
    return 'invalid_body';
  }
}
