/**
 * Test kit: real servers on port 0, a throw-away database per suite, an isolated Redis key
 * space, and a small HTTP client that returns raw bytes as well as parsed JSON.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { request as undiciRequest } from 'undici';
import { testConfig } from './config.js';

export { testConfig };

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Create an empty database on the test server; `drop()` removes it (forcing out connections). */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = new pg.Client({ connectionString: testConfig.DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(testConfig.DATABASE_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: testConfig.DATABASE_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TestRedis {
  url: string;
  prefix: string;
  /** Delete every key under the prefix and disconnect. */
  cleanup(): Promise<void>;
}

/** A unique key prefix on the test Redis, for services configured with REDIS_KEY_PREFIX. */
export function createTestRedis(): TestRedis {
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  return {
    url: testConfig.REDIS_URL,
    prefix,
    async cleanup() {
      const client = new Redis(testConfig.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await client.connect();
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          if (keys.length) await client.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        client.disconnect();
      }
    },
  };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | object;
}

/** One HTTP request; JSON bodies are encoded, the answer is read whole. */
export async function http(url: string, options: HttpOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body: string | Buffer | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) body = options.body;
    else {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  const res = await undiciRequest(url, { method: (options.method ?? (body ? 'POST' : 'GET')) as 'GET', headers, body });
  const buf = Buffer.from(await res.body.arrayBuffer());
  const text = buf.toString('utf8');
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: buf, text, json };
}

/** Resolve when `check` stops throwing, or throw its last error after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
export * from './service-suite.js';

/**
 * What the proxy sends for one client of a rate-limited route under 100 % shadow, in order: `pairs`
 * client requests each followed by its mirror, then one more client request and `mirrorsAfter`
 * mirrors. `send(mirrored)` makes one request (the caller adds `X-Shadow-Request: 1` to mirrors);
 * `statuses` reads like `['client 200', 'mirror 200', …, 'client 429', 'mirror 429']`.
 */
export async function clientAndMirrorTraffic(
  send: (mirrored: boolean) => Promise<HttpResult>,
  pairs: number,
  mirrorsAfter: number,
): Promise<{ statuses: string[]; responses: HttpResult[] }> {
  const order = [...Array.from({ length: pairs }, () => [false, true]).flat(), false, ...Array<boolean>(mirrorsAfter).fill(true)];
  const statuses: string[] = [];
  const responses: HttpResult[] = [];
  for (const mirrored of order) {
    const res = await send(mirrored);
    statuses.push(`${mirrored ? 'mirror' : 'client'} ${res.status}`);
    responses.push(res);
  }
  return { statuses, responses };
}

/**
 * Fixed-window limits reset on the wall-clock minute, so a test that counts calls against a
 * per-minute limit starts its burst with at least `needMs` of the minute left: resolves at once
 * when there is, else just after the next minute begins.
 */
export async function awaitRoomInMinute(needMs = 10_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** A TCP port that was free a moment ago (for processes that must be told their port up front). */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as import('node:net').AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
