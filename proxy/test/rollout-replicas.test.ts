/**
 * Two real proxy PROCESSES (node proxy/dist/src/main.js) drive one rollout plan: a real Unleash
 * server, PostgreSQL (the plan and proxy_route_events), Redis (the leader lease, a key prefix of its
 * own), ML twins on 127.0.0.1, the flags CLI as a process. Clients hit both replicas all along.
 *
 *   exactly one replica (the lease holder) makes each step; the follower writes nothing
 *   SIGKILL the leader at step 2 (50%): the other takes the lease (a larger fencing token) once its
 *   TTL runs out and resumes at that step, with its hold, then completes the plan
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createTestDatabase, createTestRedis, eventually, type TestDatabase, type TestRedis } from '@smp/platform/testkit';
import { startTestUnleash, type TestUnleash } from '@smp/flags/test-unleash';
import { flagsCli } from './support/flags-cli.js';
import { startMlTwin, type MlTwin } from './support/ml-twin.js';
import { load, startProxyProcess, type LoadResult, type ProxyProcess } from './support/proxy-process.js';
import { ROUTE, shadowRoutes } from './support/shadow-harness.js';

const LIVE = `migrate.${ROUTE}.live`;
const SHADOW = `migrate.${ROUTE}.shadow`;
/** As rollout.test.ts: identical twins pass on ~30 pairs; latency is not what this test is about. */
const JUDGE = { warmupPairs: 30, maxMismatchRate: 0.1, maxErrorRateIncrease: 0.1, maxLatencyRatio: 100 };
const HOLD_MS = 2_000;
const TTL_MS = 1_000;

interface PlanRow {
  phase: string;
  stepIndex: number;
  stepStartedAt: number | null;
  fence: number;
}

describe('rollout plan across two real proxy processes: one leader at a time, SIGKILL the leader mid-plan', function () {
  this.timeout(90_000);
  let unleash: TestUnleash;
  let db: TestDatabase;
  let redis: TestRedis;
  let dir: string;
  let pool: pg.Pool;
  let redisClient: Redis;
  const twins: MlTwin[] = [];
  const proxies: ProxyProcess[] = [];
  let cliEnv: Record<string, string>;

  before(async function () {
    [unleash, db] = await Promise.all([startTestUnleash(), createTestDatabase('rollout_replicas')]);
    redis = createTestRedis();
    dir = await mkdtemp(path.join(tmpdir(), 'rollout-replicas-'));
    cliEnv = { UNLEASH_URL: unleash.url, UNLEASH_ADMIN_TOKEN: unleash.adminToken, DATABASE_URL: db.url, STACK_DIR: dir };
    twins.push(await startMlTwin('legacy', { delayMs: 2 }), await startMlTwin('candidate', { delayMs: 2 }));
    await writeFile(path.join(dir, 'routes.json'), JSON.stringify(shadowRoutes({ judge: JUDGE })));
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    redisClient = new Redis(redis.url, { lazyConnect: true });
    await redisClient.connect();
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const p of proxies) console.log(`--- proxy ${p.pid}:\n${p.output().slice(-3_000)}`);
  });
  after(async function () {
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(twins.map((t) => t.close()));
    await pool?.end();
    redisClient?.disconnect();
    await redis?.cleanup();
    await unleash?.close();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const replica = () =>
    startProxyProcess({
      LEGACY_URL: twins[0].url,
      PREDICTION_URL: twins[1].url,
      ANOMALY_URL: twins[1].url,
      PROXY_ROUTES: path.join(dir, 'routes.json'),
      PROXY_ROUTES_WATCH: 'false',
      UNLEASH_URL: unleash.apiUrl,
      UNLEASH_API_TOKEN: unleash.clientToken,
      UNLEASH_ADMIN_TOKEN: unleash.adminToken,
      UNLEASH_REFRESH_MS: '200',
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: redis.prefix,
      ROLLOUT_INTERVAL_MS: '200',
      ROLLOUT_LEASE_TTL_MS: String(TTL_MS),
      BREAKER_FAILURE_THRESHOLD: '100000',
      SHADOW_LATENCY_WARMUP_PAIRS: '0',
      RECORDER_FLUSH_MS: '50',
    });

  const plan = async (): Promise<PlanRow | undefined> => {
    const { rows } = await pool.query<{ state: { phase: string; stepIndex: number; stepStartedAt: number | null }; fence: string }>('SELECT state, fence FROM proxy_rollout_plans WHERE route = $1', [ROUTE]);
    return rows[0] && { phase: rows[0].state.phase, stepIndex: rows[0].state.stepIndex, stepStartedAt: rows[0].state.stepStartedAt, fence: Number(rows[0].fence) };
  };
  const events = async (): Promise<Array<{ kind: string; actor: string; summary: string; at: Date }>> =>
    (await pool.query("SELECT kind, actor, summary, at FROM proxy_route_events WHERE route = $1 AND kind LIKE 'rollout-%' ORDER BY id", [ROUTE])).rows;
  /** The lease's holder in Redis: the replica id (host:pid:random) of a process, and its token. */
  const lease = async (): Promise<{ pid: number; token: number } | null> => {
    const v = await redisClient.get(`${redis.prefix}proxy:rollout:leader`);
    if (v === null) return null;
    const [id, token] = v.split(' ');
    return { pid: Number(id.split(':').at(-2)), token: Number(token) };
  };

  it('exactly one process advances each step; after SIGKILL of the leader the other resumes at the same step and completes the plan', async function () {
    proxies.push(await replica(), await replica());
    const t0 = Date.now();
    // Clients on both replicas all along (each replica judges the pairs it serves).
    const stopped = new Set<ProxyProcess>();
    const traffic = new Map<ProxyProcess, Promise<LoadResult>>(proxies.map((p) => [p, load(p.url, 1e9, 2, () => stopped.has(p))]));
    const stopTraffic = async (p: ProxyProcess) => {
      stopped.add(p);
      return traffic.get(p)!;
    };
    // Every distinct plan row seen, polled until the end: the steps the plan went through.
    const seen: Array<PlanRow & { ms: number }> = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const row = await plan();
        const last = seen.at(-1);
        if (row && (!last || row.phase !== last.phase || row.stepIndex !== last.stepIndex || row.fence !== last.fence || row.stepStartedAt !== last.stepStartedAt)) seen.push({ ...row, ms: Date.now() - t0 });
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    try {
      const started = await flagsCli(['rollout', ROUTE, '--steps', '10,50,100', '--min-pairs', '30', '--hold', `${HOLD_MS / 1000}s`], cliEnv);
      assert.equal(started.code, 0, started.stderr);

      // Step 2 (50%) reached: kill its leader before the step's hold is over.
      const atKill = await eventually(async () => {
        const row = await plan();
        assert.deepEqual([row?.phase, row?.stepIndex], ['live', 1]);
        return row!;
      }, 20_000, 25);
      const holder = await lease();
      assert.ok(holder, `a replica holds the lease (keys: ${(await redisClient.keys(`${redis.prefix}*`)).join(', ')})`);
      const leader = proxies.find((p) => p.pid === holder.pid)!;
      const follower = proxies.find((p) => p !== leader)!;
      assert.ok(leader, `the lease names a process of this test: ${JSON.stringify(holder)}`);
      assert.equal(atKill.fence, holder.token, "the plan row carries the leader's fencing token");
      // The audit row follows the plan row by a moment (written after it): wait for it before the kill.
      const upToKill = await eventually(async () => {
        const rows = await events();
        assert.deepEqual(rows.map((e) => e.kind), ['rollout-start', 'rollout-step', 'rollout-step']);
        return rows;
      }, 1_000, 10);
      const before = await stopTraffic(leader);
      await leader.kill('SIGKILL');
      const killedAt = Date.now();
      const who = (p: ProxyProcess) => new RegExp(`^proxy:[^ ]+:${p.pid}:[0-9a-f]+$`);
      assert.equal(upToKill[0].actor, `cli:${userInfo().username}`);
      for (const e of upToKill.slice(1)) assert.match(e.actor, who(leader), 'the leader made both steps');
      assert.deepEqual([(await unleash.admin.flag(LIVE)).rollout, (await unleash.admin.flag(SHADOW)).rollout], [50, 100]);

      // The follower takes the lease once the dead leader's TTL runs out, and finishes the plan.
      const done = await eventually(async () => {
        const row = await plan();
        assert.equal(row?.phase, 'completed');
        return row!;
      }, 25_000, 50);
      const newHolder = (await lease())!;
      assert.equal(newHolder.pid, follower.pid, 'the survivor holds the lease');
      assert.ok(newHolder.token > holder.token, `a larger fencing token: ${newHolder.token} > ${holder.token}`);
      assert.equal(done.fence, newHolder.token);

      const all = await events();
      assert.deepEqual(all.map((e) => e.kind), ['rollout-start', 'rollout-step', 'rollout-step', 'rollout-step', 'rollout-complete'], 'no step skipped or repeated');
      assert.match(all[1].summary, /^10% live \(step 1\/3\)/);
      assert.match(all[2].summary, /^50% live \(step 2\/3\)/);
      assert.match(all[3].summary, /^100% live \(step 3\/3\): judge passed on \d+ pairs at 50% live/, 'resumed at 50%, the step the leader died at');
      for (const e of all.slice(3)) assert.match(e.actor, who(follower), 'the survivor made the last step');
      // Resumed with the step's own start: the hold was not restarted by the takeover.
      const resumedRows = seen.filter((r) => r.fence === newHolder.token && r.phase === 'live' && r.stepIndex === 1);
      for (const r of resumedRows) assert.equal(r.stepStartedAt, atKill.stepStartedAt);
      assert.ok(all[3].at.getTime() >= killedAt, 'the last step came after the kill');
      // The poller samples every 25 ms: let it see the completed row too before reading its history.
      await eventually(() => assert.equal(seen.at(-1)?.phase, 'completed'), 2_000, 25);
      // The steps seen in the plan row, in order, each written once under one leader's token.
      const steps = seen.map((r) => `${r.phase}${r.phase === 'live' ? ` ${r.stepIndex}` : ''}`).filter((s, i, a) => s !== a[i - 1]);
      assert.deepEqual(steps, ['pending', 'live 0', 'live 1', 'live 2', 'completed'].slice(steps[0] === 'pending' ? 0 : 1));
      assert.ok(seen.every((r, i) => i === 0 || r.fence >= seen[i - 1].fence), 'fencing tokens never go back');
      assert.deepEqual([(await unleash.admin.flag(LIVE)).rollout, (await unleash.admin.flag(LIVE)).enabled, (await unleash.admin.flag(SHADOW)).rollout], [100, true, 100]);

      const after = await stopTraffic(follower);
      console.log(
        `      plan done in ${((Date.now() - t0) / 1000).toFixed(1)} s; survivor made the last step ${((all[3].at.getTime() - killedAt) / 1000).toFixed(1)} s after the kill (lease TTL ${TTL_MS} ms, hold ${HOLD_MS} ms); ` +
          `clients: ${before.sent} on the leader, ${after.sent} on the survivor; plan row (ms since start, phase, step, fence): ${seen.map((r) => `${r.ms} ${r.phase} ${r.stepIndex} ${r.fence}`).join(', ')}`,
      );
      for (const r of [before, after]) assert.equal(r.statuses.get(200), r.sent, `every client answered 200: ${JSON.stringify([...r.statuses])}`);
      assert.ok((after.servedBy.get('candidate') ?? 0) > 0, 'the candidate served clients');
    } finally {
      polling = false;
      for (const p of proxies) stopped.add(p);
      await poller;
      await Promise.allSettled(traffic.values());
    }
  });
});
