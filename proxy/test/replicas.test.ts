import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { silentLogger } from '@smp/platform';
import { createTestRedis, eventually, freePort, type TestRedis } from '@smp/platform/testkit';
import { RedisRollbackStore } from '../src/state/redis-rollback-store.js';
import { startMlTwin, type MlTwin } from './support/ml-twin.js';
import { ROUTE, startShadowHarness, type ShadowHarness } from './support/shadow-harness.js';

/** A private redis-server this test can stop and start again (a real outage, not a mock). */
async function startRedisServer(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await eventually(async () => {
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.ping();
    } finally {
      c.disconnect();
    }
  }, 5_000);
  return child;
}

async function stopRedisServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Drive one replica's failing candidate until its judge rolls it back. */
async function failUntilRolledBack(h: ShadowHarness): Promise<void> {
  await h.predictUntilRolledBack(1_000);
  assert.equal(h.sub.store.isRolledBack(ROUTE), true);
}

describe('two proxy replicas sharing one Redis', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let legacy: MlTwin;
  let candidate: MlTwin;
  let a: ShadowHarness;
  let b: ShadowHarness;

  before(async function () {
    redis = createTestRedis();
    legacy = await startMlTwin('legacy', { delayMs: 1 });
    candidate = await startMlTwin('candidate', { behaviour: 'fail-500' });
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, ROLLBACK_RESYNC_MS: '200' };
    a = await startShadowHarness({ twins: { legacy, candidate }, flags: { live: 100, shadow: 100 }, env, replicaId: 'replica-a' });
    b = await startShadowHarness({ twins: { legacy, candidate }, flags: { live: 100, shadow: 100 }, env, replicaId: 'replica-b' });
  });
  after(async function () {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([legacy.close(), candidate.close()]);
    await redis.cleanup();
  });

  it('a rollback decided on replica A stops candidate traffic on replica B (time printed)', async function () {
    assert.equal(b.sub.store.isRolledBack(ROUTE), false);
    let flippedAt = 0n;
    const stop = b.sub.store.onChange((e) => {
      if (e.state === 'rolled-back' && flippedAt === 0n) flippedAt = process.hrtime.bigint();
    });
    const before = candidate.seen;
    await b.predict(5);
    assert.ok(candidate.seen > before, 'B sends live traffic to the candidate before the rollback');

    // Failing traffic on A until its judge decides; time from A's decision to B's gate flipping.
    let decidedAt = 0n;
    const stopA = a.sub.store.onChange((e) => {
      if (e.state === 'rolled-back' && decidedAt === 0n) decidedAt = process.hrtime.bigint();
    });
    await a.predictUntilRolledBack(1_000);
    assert.equal(a.sub.store.get(ROUTE)?.by, 'replica-a');
    await eventually(() => assert.notEqual(flippedAt, 0n), 1_000, 1);
    stop();
    stopA();
    const ms = Number(flippedAt - decidedAt) / 1e6;
    console.log(`        failing verdict on A -> candidate gate closed on B in ${ms.toFixed(2)} ms`);
    assert.equal(b.sub.store.get(ROUTE)?.by, 'replica-a');

    const seen = candidate.seen;
    const res = await b.predict(30);
    assert.ok(res.every((r) => r.status === 200 && r.servedBy === 'legacy'));
    assert.equal(candidate.seen, seen, 'B sends the candidate neither live nor shadow traffic');
  });

  it('POST /routes/ml-predict/resume on B resumes A as well', async function () {
    const res = await b.adminPost(`/routes/${ROUTE}/resume`);
    assert.equal(res.status, 200);
    await eventually(() => assert.equal(a.sub.store.isRolledBack(ROUTE), false), 1_000, 1);
  });

  it('heals a missed message: an entry written to Redis without a publish reaches both within the 200 ms resync', async function () {
    const raw = new Redis(redis.url);
    try {
      const entry = { routeId: ROUTE, state: 'rolled-back', at: Date.now() + 60_000, by: 'operator-script', reason: 'written by hand' };
      await raw.hset(`${redis.prefix}proxy:rollback`, ROUTE, JSON.stringify(entry));
      await eventually(() => {
        assert.equal(a.sub.store.isRolledBack(ROUTE), true);
        assert.equal(b.sub.store.isRolledBack(ROUTE), true);
      }, 2_000);
    } finally {
      raw.disconnect();
    }
  });
});

describe('replicas with Redis down', function () {
  this.timeout(60_000);
  let port: number;
  let server: ChildProcess | null = null;
  let legacy: MlTwin;
  let candidate: MlTwin;
  let a: ShadowHarness | null = null;
  let b: ShadowHarness | null = null;

  before(async function () {
    port = await freePort();
    legacy = await startMlTwin('legacy', { delayMs: 1 });
    candidate = await startMlTwin('candidate', { behaviour: 'fail-500' });
  });
  after(async function () {
    await Promise.all([a?.close(), b?.close()]);
    if (server) await stopRedisServer(server);
    await Promise.all([legacy.close(), candidate.close()]);
  });

  it('each replica still rolls back locally, and writes its decision to Redis when Redis comes back', async function () {
    const env = { REDIS_URL: `redis://127.0.0.1:${port}`, ROLLBACK_RESYNC_MS: '200' };
    a = await startShadowHarness({ twins: { legacy, candidate }, flags: { live: 100, shadow: 100 }, env, replicaId: 'replica-a' });
    b = await startShadowHarness({ twins: { legacy, candidate }, flags: { live: 100, shadow: 100 }, env, replicaId: 'replica-b' });
    assert.equal(a.sub.store.health().connected, false);

    await failUntilRolledBack(a);
    await failUntilRolledBack(b);
    for (const h of [a, b]) {
      const seen = candidate.seen;
      const res = await h.predict(20);
      assert.ok(res.every((r) => r.servedBy === 'legacy'));
      assert.equal(candidate.seen, seen);
      assert.deepEqual(h.sub.store.health(), { backend: 'redis', connected: false, pending: 1 });
    }

    server = await startRedisServer(port);
    await eventually(() => {
      assert.deepEqual(a!.sub.store.health(), { backend: 'redis', connected: true, pending: 0 });
      assert.deepEqual(b!.sub.store.health(), { backend: 'redis', connected: true, pending: 0 });
    }, 10_000);
    const check = new RedisRollbackStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: '', logger: silentLogger() });
    try {
      await check.ready();
      assert.equal(check.isRolledBack(ROUTE), true, 'the rollback reached Redis after the outage');
      assert.ok(['replica-a', 'replica-b'].includes(check.get(ROUTE)!.by));
    } finally {
      await check.close();
    }
  });
});
