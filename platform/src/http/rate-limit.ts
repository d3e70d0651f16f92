/**
 * Fixed-window rate limiting, as the legacy slowapi limiter did ("10/minute": at most 10 hits per
 * client in each calendar minute), but shared through Redis when one is given, so replicas — and
 * the extracted services configured with the same Redis and key prefix — spend one budget:
 *
 *   const limiter = createFixedWindowLimiter({ name: 'check_drift', limit: 10, windowSeconds: 60, redis });
 *   await enforceRateLimit(limiter, rateLimitClientKey(req));
 *   // 11th call in the minute: AppError 429 {"detail":"Rate limit exceeded: 10 per 1 minute"}, Retry-After: <s>
 *
 * Redis key: `ratelimit:<name>:<client>:<windowStart>` (INCR + EXPIRE, plus the client's
 * REDIS_KEY_PREFIX). Without Redis, or while Redis is down, counts live in a bounded in-process map
 * (expired windows swept), so a Redis outage loosens the limit to per-process instead of failing
 * requests.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';
import { apiKeyOf } from './auth.js';

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

  return {
    name,
    limit,
    windowSeconds,
    async hit(key: string): Promise<RateLimitDecision> {
      const now = clock();
      const windowStart = Math.floor(now / windowMs) * windowMs;
      if (redis) {
        try {
          const redisKey = rateLimitRedisKey(name, key, windowStart);
          const replies = await redis.multi().incr(redisKey).expire(redisKey, windowSeconds + 1).exec();
          const [err, count] = replies?.[0] ?? [new Error('empty MULTI reply'), null];
          if (err) throw err;
          if (redisDown) logger?.info('rate limiter back on redis', { limiter: name });
          redisDown = false;
          return decide(Number(count), windowStart, now, 'redis');
        } catch (err) {
          if (!redisDown) logger?.warn('rate limiter falling back to in-process counts', { limiter: name, error: (err as Error).message });
          redisDown = true;
        }
      }
      return hitLocal(key, windowStart, now);
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

/** Count a hit; throws the legacy 429 (`Rate limit exceeded: 10 per 1 minute`) with Retry-After when over. */
export async function enforceRateLimit(limiter: FixedWindowLimiter, key: string): Promise<RateLimitDecision> {
  const decision = await limiter.hit(key);
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
