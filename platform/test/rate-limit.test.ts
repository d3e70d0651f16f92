import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Request } from 'express';
import { createTestRedis, type TestRedis } from '../src/testkit/index.js';
import {
  AppError,
  closeRedis,
  createFixedWindowLimiter,
  createRedis,
  describeLimit,
  enforceRateLimit,
  enforceRequestRateLimit,
  rateLimitRedisKey,
  silentLogger,
  type Redis,
} from '../src/index.js';

/** A clock the test moves by hand. */
function manualClock(start: number) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('fixed-window rate limiter', function () {
  describe('wording', function () {
    const cases: Array<[number, number, string]> = [
      [10, 60, '10 per 1 minute'],
      [100, 3600, '100 per 1 hour'],
      [5, 30, '5 per 30 second'],
      [3, 120, '3 per 2 minute'],
      [1000, 86_400, '1000 per 1 day'],
    ];
    for (const [limit, window, text] of cases) {
      it(`describes ${limit} per ${window} s as "${text}"`, function () {
        assert.equal(describeLimit(limit, window), text);
      });
    }
  });

  describe('in process', function () {
    it('allows 10 hits in the minute starting 12:00:00, refuses the 11th with Retry-After 45 s at 12:00:15, allows again at 12:01:00', async function () {
      const start = Date.UTC(2025, 7, 21, 12, 0, 0);
      const clock = manualClock(start);
      const limiter = createFixedWindowLimiter({ name: 'drift', limit: 10, windowSeconds: 60, clock: clock.now });
      clock.advance(15_000);
      const decisions = [];
      for (let i = 0; i < 11; i++) decisions.push(await limiter.hit('client-a'));
      assert.deepEqual(
        decisions.map((d) => d.allowed),
        [...Array(10).fill(true), false],
      );
      assert.equal(decisions[9].remaining, 0);
      assert.equal(decisions[10].retryAfterSeconds, 45);
      assert.equal(decisions[10].store, 'memory');
      assert.equal((await limiter.hit('client-b')).allowed, true, 'another client has its own budget');
      clock.advance(45_000);
      assert.equal((await limiter.hit('client-a')).allowed, true, 'a new window starts at 12:01:00');
      limiter.close();
    });

    it('keeps at most 100 client windows, sweeping expired ones first', async function () {
      const clock = manualClock(0);
      const limiter = createFixedWindowLimiter({ name: 'bounded', limit: 1, windowSeconds: 1, clock: clock.now, maxLocalKeys: 100 });
      for (let i = 0; i < 100; i++) await limiter.hit(`old-${i}`);
      assert.equal(limiter.localKeys(), 100);
      clock.advance(1_000);
      for (let i = 0; i < 250; i++) await limiter.hit(`new-${i}`);
      assert.ok(limiter.localKeys() <= 100, `held ${limiter.localKeys()} windows`);
      // The newest client is still counted (a second hit is refused), so the bound did not drop live state needlessly.
      assert.equal((await limiter.hit('new-249')).allowed, false);
      limiter.close();
    });

    it('peeks without counting: 3 hits, then 5 peeks all read 3, and the 4th hit of a 4/minute limit is still allowed', async function () {
      const clock = manualClock(Date.UTC(2025, 7, 21, 12, 0, 20));
      const limiter = createFixedWindowLimiter({ name: 'peek', limit: 4, windowSeconds: 60, clock: clock.now });
      assert.deepEqual(await limiter.peek('k'), { allowed: true, limit: 4, remaining: 4, retryAfterSeconds: 40, store: 'memory' });
      for (let i = 0; i < 3; i++) await limiter.hit('k');
      for (let i = 0; i < 5; i++) assert.equal((await limiter.peek('k')).remaining, 1);
      assert.equal((await limiter.hit('k')).allowed, true);
      assert.equal(limiter.localKeys(), 1, 'peeking an unknown key stores nothing');
      limiter.close();
    });

    // [hits counted before the peek, allowed, remaining] for a 10/minute limit: a mirror is allowed iff count ≤ limit.
    const peeks: Array<[number, boolean, number]> = [
      [0, true, 10],
      [9, true, 1],
      [10, true, 0],
      [11, false, 0],
      [15, false, 0],
    ];
    for (const [hits, allowed, remaining] of peeks) {
      it(`peeks ${allowed ? 'allowed' : 'refused'} with ${remaining} remaining after ${hits} hits of a 10/minute limit`, async function () {
        const limiter = createFixedWindowLimiter({ name: 'peek-table', limit: 10, windowSeconds: 60, clock: () => Date.UTC(2025, 7, 21, 12, 0, 0) });
        for (let i = 0; i < hits; i++) await limiter.hit('k');
        const decision = await limiter.peek('k');
        assert.deepEqual([decision.allowed, decision.remaining], [allowed, remaining]);
        limiter.close();
      });
    }

    it('peeks 0 in a new window: 10 hits at 12:00:59, a peek at 12:01:00 is allowed with 10 remaining', async function () {
      const clock = manualClock(Date.UTC(2025, 7, 21, 12, 0, 59));
      const limiter = createFixedWindowLimiter({ name: 'peek-window', limit: 10, windowSeconds: 60, clock: clock.now });
      for (let i = 0; i < 11; i++) await limiter.hit('k');
      assert.equal((await limiter.peek('k')).allowed, false);
      clock.advance(1_000);
      assert.deepEqual([(await limiter.peek('k')).allowed, (await limiter.peek('k')).remaining], [true, 10]);
      limiter.close();
    });

    it('enforces per request: 2 client requests spend a 2/minute budget, mirrored ones (X-Shadow-Request: 1) pass until it is over, then all get 429', async function () {
      const limiter = createFixedWindowLimiter({ name: 'request', limit: 2, windowSeconds: 60, clock: () => Date.UTC(2025, 7, 21, 12, 0, 0) });
      const request = (shadow: boolean) => ({ headers: { 'x-api-key': 'k1', ...(shadow ? { 'x-shadow-request': '1' } : {}) }, ip: '10.0.0.1', socket: {} }) as unknown as Request;
      const outcome = (p: Promise<unknown>) =>
        p.then(
          () => 200,
          (err: AppError) => err.status,
        );
      const statuses: Array<[string, number]> = [];
      for (const shadow of [false, true, true, false, true, false, true, true]) statuses.push([shadow ? 'mirror' : 'client', await outcome(enforceRequestRateLimit(limiter, request(shadow)))]);
      assert.deepEqual(statuses, [
        ['client', 200],
        ['mirror', 200],
        ['mirror', 200],
        ['client', 200],
        ['mirror', 200],
        ['client', 429],
        ['mirror', 429],
        ['mirror', 429],
      ]);
      limiter.close();
    });

    it('throws the legacy 429 with Retry-After from enforceRateLimit on the 3rd hit of a 2/minute limit', async function () {
      const clock = manualClock(Date.UTC(2025, 0, 1, 0, 0, 50));
      const limiter = createFixedWindowLimiter({ name: 'small', limit: 2, windowSeconds: 60, clock: clock.now });
      await enforceRateLimit(limiter, 'k');
      await enforceRateLimit(limiter, 'k');
      await assert.rejects(enforceRateLimit(limiter, 'k'), (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.status, 429);
        assert.equal(err.detail, 'Rate limit exceeded: 2 per 1 minute');
        assert.equal(err.headers['Retry-After'], '10');
        return true;
      });
    });
  });

  describe('on Redis', function () {
    let testRedis: TestRedis;
    let a: Redis;
    let b: Redis;
    before(async function () {
      testRedis = createTestRedis();
      a = createRedis(testRedis.url, silentLogger(), { keyPrefix: testRedis.prefix });
      b = createRedis(testRedis.url, silentLogger(), { keyPrefix: testRedis.prefix });
      await Promise.all([a, b].map((c) => (c.status === 'ready' ? undefined : once(c, 'ready'))));
    });
    after(async function () {
      await closeRedis(a);
      await closeRedis(b);
      await testRedis.cleanup();
    });

    it('shares one budget of 10 between two limiter instances on two connections: 6 + 5 hits -> the 11th refused', async function () {
      const clock = manualClock(Date.UTC(2025, 7, 21, 12, 0, 30));
      const first = createFixedWindowLimiter({ name: 'drift', limit: 10, windowSeconds: 60, redis: a, clock: clock.now });
      const second = createFixedWindowLimiter({ name: 'drift', limit: 10, windowSeconds: 60, redis: b, clock: clock.now });
      const outcomes: boolean[] = [];
      for (let i = 0; i < 6; i++) outcomes.push((await first.hit('api_key:shared')).allowed);
      for (let i = 0; i < 5; i++) outcomes.push((await second.hit('api_key:shared')).allowed);
      assert.deepEqual(outcomes, [...Array(10).fill(true), false]);
      const last = await second.hit('api_key:shared');
      assert.equal(last.store, 'redis');
      assert.equal(last.retryAfterSeconds, 30);
    });

    it('stores the count under <prefix>ratelimit:<name>:<client>:<windowStart> with a TTL of at most 61 s', async function () {
      const now = Date.UTC(2025, 7, 21, 13, 0, 5);
      const limiter = createFixedWindowLimiter({ name: 'ttl', limit: 10, windowSeconds: 60, redis: a, clock: () => now });
      await limiter.hit('ip:127.0.0.1');
      await limiter.hit('ip:127.0.0.1');
      const key = rateLimitRedisKey('ttl', 'ip:127.0.0.1', Date.UTC(2025, 7, 21, 13, 0, 0));
      assert.equal(await a.get(key), '2');
      const ttl = await a.ttl(key);
      assert.ok(ttl > 0 && ttl <= 61, `ttl was ${ttl}`);
    });

    it('peeks the count another instance wrote on another connection (4 hits on A: B peeks 4) without changing it', async function () {
      const now = Date.UTC(2025, 7, 21, 14, 0, 10);
      const first = createFixedWindowLimiter({ name: 'peek', limit: 4, windowSeconds: 60, redis: a, clock: () => now });
      const second = createFixedWindowLimiter({ name: 'peek', limit: 4, windowSeconds: 60, redis: b, clock: () => now });
      assert.deepEqual(await second.peek('api_key:p'), { allowed: true, limit: 4, remaining: 4, retryAfterSeconds: 50, store: 'redis' });
      assert.equal(await b.exists(rateLimitRedisKey('peek', 'api_key:p', Date.UTC(2025, 7, 21, 14, 0, 0))), 0, 'a peek creates no key');
      for (let i = 0; i < 4; i++) await first.hit('api_key:p');
      for (let i = 0; i < 3; i++) assert.deepEqual([(await second.peek('api_key:p')).allowed, (await second.peek('api_key:p')).remaining], [true, 0]);
      assert.equal(await a.get(rateLimitRedisKey('peek', 'api_key:p', Date.UTC(2025, 7, 21, 14, 0, 0))), '4');
      await first.hit('api_key:p');
      assert.equal((await second.peek('api_key:p')).allowed, false);
    });

    it('peeks in-process counts while Redis is unreachable', async function () {
      const dead = createRedis('redis://127.0.0.1:1', silentLogger(), { connectTimeoutMs: 200, commandTimeoutMs: 200 });
      try {
        const limiter = createFixedWindowLimiter({ name: 'down-peek', limit: 1, windowSeconds: 60, redis: dead });
        await limiter.hit('k');
        await limiter.hit('k');
        const decision = await limiter.peek('k');
        assert.deepEqual([decision.allowed, decision.store], [false, 'memory']);
      } finally {
        dead.disconnect();
      }
    });

    it('falls back to in-process counts while Redis is unreachable and still refuses the 4th of 3', async function () {
      const dead = createRedis('redis://127.0.0.1:1', silentLogger(), { connectTimeoutMs: 200, commandTimeoutMs: 200 });
      try {
        const limiter = createFixedWindowLimiter({ name: 'down', limit: 3, windowSeconds: 60, redis: dead });
        const decisions = [];
        for (let i = 0; i < 4; i++) decisions.push(await limiter.hit('k'));
        assert.deepEqual(
          decisions.map((d) => [d.allowed, d.store]),
          [
            [true, 'memory'],
            [true, 'memory'],
            [true, 'memory'],
            [false, 'memory'],
          ],
        );
      } finally {
        dead.disconnect();
      }
    });
  });
});
