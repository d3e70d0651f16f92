/**
 * Idempotency keys of POST /api/v1/data/ingest: the first request with a key records its event id
 * for 600 s; a repeat within that time gets the original id back and stores nothing.
 *
 *   const first = await keys.claim('abc', 'e-1');   // { duplicate: false }
 *   const again = await keys.claim('abc', 'e-2');   // { duplicate: true, eventId: 'e-1' }
 *
 * With Redis the record is `idempotency:<key>` (SET NX EX, so replicas agree); without it, a
 * bounded in-process map with the same expiry. While Redis is down the claim reports `unavailable`
 * and the caller ingests without dedupe rather than refuse data.
 */
import type { Logger, Redis } from '@smp/platform';

export const IDEMPOTENCY_TTL_SECONDS = 600;

export type ClaimResult = { duplicate: false } | { duplicate: true; eventId: string } | { unavailable: true; error: string };

export interface IdempotencyStore {
  /** Record `eventId` under `key` unless a live record exists, which is returned instead. */
  claim(key: string, eventId: string): Promise<ClaimResult>;
  /** Forget a claim whose work failed, so the client's retry is not reported as a duplicate. */
  release(key: string, eventId: string): Promise<void>;
  close(): void;
}

export function idempotencyRedisKey(key: string): string {
  return `idempotency:${key}`;
}

export function createRedisIdempotencyStore(redis: Redis, logger: Logger, ttlSeconds = IDEMPOTENCY_TTL_SECONDS): IdempotencyStore {
  return {
    async claim(key, eventId) {
      const redisKey = idempotencyRedisKey(key);
      try {
        const set = await redis.set(redisKey, eventId, 'EX', ttlSeconds, 'NX');
        if (set === 'OK') return { duplicate: false };
        const existing = await redis.get(redisKey);
        // Expired between the two commands: nobody holds the key any more, so this request may.
        if (existing === null) {
          await redis.set(redisKey, eventId, 'EX', ttlSeconds);
          return { duplicate: false };
        }
        return { duplicate: true, eventId: existing };
      } catch (err) {
        return { unavailable: true, error: (err as Error).message };
      }
    },
    async release(key, eventId) {
      const redisKey = idempotencyRedisKey(key);
      try {
        // Only our own claim: compare and delete atomically.
        await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, redisKey, eventId);
      } catch (err) {
        logger.warn('could not release idempotency key', { error: (err as Error).message });
      }
    },
    close() {},
  };
}

export function createMemoryIdempotencyStore(options: { ttlSeconds?: number; maxKeys?: number; clock?: () => number } = {}): IdempotencyStore {
  const ttlMs = (options.ttlSeconds ?? IDEMPOTENCY_TTL_SECONDS) * 1000;
  const maxKeys = options.maxKeys ?? 100_000;
  const clock = options.clock ?? Date.now;
  const records = new Map<string, { eventId: string; expiresAt: number }>();
  const sweep = (now: number) => {
    // Insertion order is expiry order (every record lives ttlMs), so expired ones are at the front.
    for (const [k, v] of records) {
      if (v.expiresAt > now && records.size < maxKeys) break;
      records.delete(k);
    }
  };
  return {
    async claim(key, eventId) {
      const now = clock();
      const existing = records.get(key);
      if (existing && existing.expiresAt > now) return { duplicate: true, eventId: existing.eventId };
      records.delete(key);
      sweep(now);
      records.set(key, { eventId, expiresAt: now + ttlMs });
      return { duplicate: false };
    },
    async release(key, eventId) {
      if (records.get(key)?.eventId === eventId) records.delete(key);
    },
    close() {
      records.clear();
    },
  };
}
