import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createTestRedis, type TestRedis } from '../src/testkit/index.js';
import {
  AppError,
  closeRedis,
  createFixedWindowLimiter,
  createRedis,
  describeLimit,
  enforceRateLimit,
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
