/**
 * Fixed-window rate limiting, as the legacy slowapi limiter did ("10/minute": at most 10 hits per
 * client in each calendar minute), but shared through Redis when one is given, so replicas — and
 * the extracted services configured with the same Redis and key prefix — spend one budget:
 *
 *   const limiter = createFixedWindowLimiter({ name: 'check_drift', limit: 10, windowSeconds: 60, redis });
 *   await enforceRequestRateLimit(limiter, req);   // hit for the client, peek for a mirror (below)
 *   // 11th call in the minute: AppError 429 {"detail":"Rate limit exceeded: 10 per 1 minute"}, Retry-After: <s>
 *
 * Redis key: `ratelimit:<name>:<client>:<windowStart>` (INCR + EXPIRE, plus the client's
 * REDIS_KEY_PREFIX). Without Redis, or while Redis is down, counts live in a bounded in-process map
 * (expired windows swept), so a Redis outage loosens the limit to per-process instead of failing
 * requests.
 *
 * Mirrored requests (`X-Shadow-Request: 1`, see shadow-request.ts) spend nothing: `peek` reads the
 * window's count (Redis GET) and allows iff count ≤ limit, because the primary copy of the same
 * request has counted itself there — so the mirror answers 429 exactly when the primary did.
 * `enforceRequestRateLimit` picks hit or peek per request. The (small) race: the proxy does not
 * wait for the primary before mirroring, so the mirror reads the count at another moment than the
 * primary's INCR — just before it (one fewer: only the request that crosses the limit, the 11th of
 * 10, may pass in shadow while its primary got 429), or after further concurrent requests of the
 * same client counted (a mirror may get 429 while its primary passed). Either way it can only
 * differ at the limit's edge and never spends budget. While Redis is down the mirror's service
 * reads its own in-process counts, which its primary (in the other service) did not fill: mirrors
 * are then allowed.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { apiKeyOf } from './auth.js';
import { isShadowRequest } from './shadow-request.js';

/** The outcome of one hit: allowed or not, what is left in this window, seconds until it ends. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  retryAfterSeconds: number;
  /** Where the count was kept for this hit. */
  store: 'redis' | 'memory';
}

export interface FixedWindowLimiter {
  readonly name: string;
  readonly limit: number;
  readonly windowSeconds: number;
  /** Count one hit for `key` in the current window and say whether it is allowed. */
  hit(key: string): Promise<RateLimitDecision>;
  /** Read `key`'s count in the current window without counting; allowed iff count ≤ limit (a hit already counted). */
  peek(key: string): Promise<RateLimitDecision>;
  /** How many client windows the in-process store holds (bounded by `maxLocalKeys`). */
  localKeys(): number;
  /** Drop in-process state (Redis is owned by the caller). */
  close(): void;
}

export interface FixedWindowLimiterOptions {
  name: string;
  limit: number;
  windowSeconds: number;
  redis?: Redis;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  logger?: Logger;
  /** Most client windows kept in memory; beyond it expired ones are swept, then the oldest dropped. */
  maxLocalKeys?: number;
}

/** The Redis key of one client's window (before the client's key prefix). */
export function rateLimitRedisKey(name: string, key: string, windowStart: number): string {
  return `ratelimit:${name}:${key}:${windowStart}`;
}

export function createFixedWindowLimiter(options: FixedWindowLimiterOptions): FixedWindowLimiter {
  const { name, limit, windowSeconds, redis, logger } = options;
  if (!(limit >= 1) || !(windowSeconds >= 1)) throw new Error('rate limit needs limit >= 1 and windowSeconds >= 1');
  const clock = options.clock ?? Date.now;
  const maxLocalKeys = options.maxLocalKeys ?? 10_000;
  const windowMs = windowSeconds * 1000;
  const local = new Map<string, { windowStart: number; count: number }>();
  let redisDown = false;

  const decide = (count: number, windowStart: number, now: number, store: 'redis' | 'memory'): RateLimitDecision => ({
    allowed: count <= limit,
    limit,
    remaining: Math.max(0, limit - count),
    retryAfterSeconds: Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000)),
    store,
  });

  const sweep = (windowStart: number) => {
    for (const [k, v] of local) if (v.windowStart < windowStart) local.delete(k);
    // Still full of live windows: forget the oldest entries rather than grow without bound.
    for (const k of local.keys()) {
      if (local.size < maxLocalKeys) break;
      local.delete(k);
    }
  };

  const hitLocal = (key: string, windowStart: number, now: number): RateLimitDecision => {
    let entry = local.get(key);
    if (!entry || entry.windowStart !== windowStart) {
      if (local.size >= maxLocalKeys) sweep(windowStart);
      entry = { windowStart, count: 0 };
      local.delete(key);
      local.set(key, entry);
    }
    entry.count += 1;
    return decide(entry.count, windowStart, now, 'memory');
  };

  const peekLocal = (key: string, windowStart: number, now: number): RateLimitDecision => {
    const entry = local.get(key);
    return decide(entry && entry.windowStart === windowStart ? entry.count : 0, windowStart, now, 'memory');
  };

  /** The count `read` gets from Redis, or undefined when Redis is absent or failing (logged once per outage). */
  const onRedis = async (read: (client: Redis) => Promise<number>): Promise<number | undefined> => {
    if (!redis) return undefined;
    try {
      const count = await read(redis);
      if (redisDown) logger?.info('rate limiter back on redis', { limiter: name });
      redisDown = false;
      return count;
    } catch (err) {
      if (!redisDown) logger?.warn('rate limiter falling back to in-process counts', { limiter: name, error: (err as Error).message });
      redisDown = true;
      return undefined;
    }
  };

  const countHit = async (client: Redis, redisKey: string): Promise<number> => {
    const replies = await client.multi().incr(redisKey).expire(redisKey, windowSeconds + 1).exec();
    const [err, count] = replies?.[0] ?? [new Error('empty MULTI reply'), null];
    if (err) throw err;
    return Number(count);
  };

  return {
    name,
    limit,
    windowSeconds,
    async hit(key: string): Promise<RateLimitDecision> {
      const now = clock();
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const redisKey = rateLimitRedisKey(name, key, windowStart);
      const count = await onRedis((client) => countHit(client, redisKey));
      return count === undefined ? hitLocal(key, windowStart, now) : decide(count, windowStart, now, 'redis');
    },
    async peek(key: string): Promise<RateLimitDecision> {
      const now = clock();
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const redisKey = rateLimitRedisKey(name, key, windowStart);
      const count = await onRedis(async (client) => Number((await client.get(redisKey)) ?? 0));
      return count === undefined ? peekLocal(key, windowStart, now) : decide(count, windowStart, now, 'redis');
    },
    localKeys: () => local.size,
    close() {
      local.clear();
    },
  };
}

/** slowapi's wording of a limit: `10 per 1 minute`, `100 per 1 hour`, `5 per 30 second`. */
export function describeLimit(limit: number, windowSeconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [seconds, unit] of units) {
    if (windowSeconds % seconds === 0) return `${limit} per ${windowSeconds / seconds} ${unit}`;
  }
  return `${limit} per ${windowSeconds} second`;
}

/**
 * Count a hit (`'peek'`: only read the count, for a mirrored request); throws the legacy 429
 * (`Rate limit exceeded: 10 per 1 minute`) with Retry-After when over.
 */
export async function enforceRateLimit(limiter: FixedWindowLimiter, key: string, mode: 'hit' | 'peek' = 'hit'): Promise<RateLimitDecision> {
  const decision = mode === 'peek' ? await limiter.peek(key) : await limiter.hit(key);
  if (!decision.allowed) {
    throw new AppError('RATE_LIMITED', `Rate limit exceeded: ${describeLimit(limiter.limit, limiter.windowSeconds)}`, {
      headers: { 'Retry-After': String(decision.retryAfterSeconds) },
    });
  }
  return decision;
}

/**
 * Whom a request counts against: its `X-API-Key` (hashed, so keys never appear in Redis) or else
 * its client address, as the legacy limiter keyed it.
 */
export function rateLimitClientKey(req: Request): string {
  const key = apiKeyOf(req);
  if (key) return `api_key:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
  return `ip:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
}

/**
 * The limit for one request, against its client (`rateLimitClientKey`): a client's request spends
 * budget (`hit`); a mirrored one (`X-Shadow-Request: 1`) only reads it (`peek`), so it answers 429
 * exactly when its primary did (see the race in the header). Throws the legacy 429 when over.
 */
export function enforceRequestRateLimit(limiter: FixedWindowLimiter, req: Request): Promise<RateLimitDecision> {
  return enforceRateLimit(limiter, rateLimitClientKey(req), isShadowRequest(req) ? 'peek' : 'hit');
}
