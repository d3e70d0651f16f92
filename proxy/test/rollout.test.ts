import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, createTestRedis, eventually, type TestDatabase, type TestRedis } from '@smp/platform/testkit';
import { startTestUnleash, type TestUnleash } from '@smp/flags/test-unleash';
import { flagsCli, type CliResult } from './support/flags-cli.js';
import { ROUTE, shadowRoutes, startShadowHarness, type ShadowHarness } from './support/shadow-harness.js';

const LIVE = `migrate.${ROUTE}.live`;
const SHADOW = `migrate.${ROUTE}.shadow`;
/**
 * Test-sized judging: ~50 identical pairs pass; a candidate answering 500 fails at once. Latency is
 * not what these tests are about: a cold shadow worker on a shared 2-core machine measured the
 * candidate's mirror at 20× legacy's, so the latency threshold is wide.
 */
const JUDGE = { warmupPairs: 30, maxMismatchRate: 0.1, maxErrorRateIncrease: 0.1, maxLatencyRatio: 100 };

describe('rollout plans: a real Unleash server, PostgreSQL, an in-process proxy, the flags CLI as a process', function () {
  this.timeout(120_000);
  let unleash: TestUnleash;
  let db: TestDatabase;
  let h: ShadowHarness;
  let stackDir: string;
  let cliEnv: Record<string, string>;
  const cli = async (...args: string[]): Promise<CliResult> => flagsCli(args, cliEnv);

  before(async function () {
    unleash = await startTestUnleash();
    db = await createTestDatabase('rollout');
    stackDir = await mkdtemp(path.join(tmpdir(), 'rollout-cli-'));
    cliEnv = { UNLEASH_URL: unleash.url, UNLEASH_ADMIN_TOKEN: unleash.adminToken, DATABASE_URL: db.url, STACK_DIR: stackDir };
    h = await startShadowHarness({
      // The variant test's v3 answers its own model_version: a label flip, not the version, is what it measures.
      routes: shadowRoutes({ judge: JUDGE, compare: { ignore: ['model_info.model_version'] } }),
      unleash: { apiUrl: unleash.apiUrl, clientToken: unleash.clientToken, adminToken: unleash.adminToken },
      clockStart: Date.now(),
      env: { DATABASE_URL: db.url, SHADOW_LATENCY_WARMUP_PAIRS: '0' },
    });
  });
  let closed = false;
  after(async function () {
    if (!closed) await h?.close();
    await unleash?.close();
    await db?.drop();
    if (stackDir) await rm(stackDir, { recursive: true, force: true });
  });

  const turn = (holdMs = 1_000) => turnOn(h, holdMs);
  const trafficAt = (live: number, n = 60) => trafficOn(h, live, n);

  it('compares a shadowed model variant with its own label agreement while clients are served unchanged by legacy', async function () {
    h.candidate.options.versions = { '3': { flipRate: 0.3 } };
    await unleash.admin.setVariants(SHADOW, [{ name: 'v3', payload: { model_version: '3' } }]);
    await unleash.admin.setRollout(SHADOW, 100);
    await unleash.admin.enable(SHADOW);
    try {
      await eventually(() => assert.equal(h.proxy.core.flags.percent(SHADOW), 100), 10_000, 50);
      const res = await h.predict(80);
      assert.ok(res.every((r) => r.status === 200 && r.servedBy === 'legacy'), 'clients are served by legacy');
      assert.deepEqual(h.legacy.variants, {}, 'legacy never sees the variant');
      await eventually(() => assert.equal(h.candidate.variants.v3, 80, 'every mirror carries X-Migrate-Variant: v3'), 5_000, 50);
      // 30% flipped labels fail v3's own judge (it stops at the failing pair, keeping the evidence);
      // the route is not rolled back: no client gets v3.
      const v3 = await eventually(async () => {
        const s = (await h.adminGet('/status')).json.variants['ml-predict#v3'] as { status: string; pairs: number; reason: string } | undefined;
        assert.equal(s?.status, 'fail', JSON.stringify(s));
        return s!;
      }, 10_000, 100);
      assert.match(v3.reason, /mismatch-rate/);
      assert.equal(h.sub.store.isRolledBack(ROUTE), false);
      assert.equal(h.sub.controller.observed(ROUTE), 0, "the route's judge saw none of the variant's pairs");
      const models = await eventually(async () => {
        const summary = await h.adminGet(`/comparisons/summary?route=${ROUTE}&since=1h`);
        const m = summary.json.routes[0]?.models as Array<{ variant: string | null; legacyVersion: string; candidateVersion: string; pairs: number; labelAgreement: number }>;
        assert.equal(m?.reduce((n, x) => n + x.pairs, 0), 80);
        return m;
      }, 10_000, 100);
      assert.deepEqual(
        models.map((m) => [m.variant, m.legacyVersion, m.candidateVersion, m.pairs]),
        [['v3', '2', '3', 80]],
      );
      // Seeded flips at 30%: this variant's own agreement, not the default version's (which agrees 100%).
      assert.ok(models[0].labelAgreement > 0.5 && models[0].labelAgreement < 0.9, `label agreement ${models[0].labelAgreement}`);
    } finally {
      await unleash.admin.setVariants(SHADOW, []);
      delete h.candidate.options.versions;
    }
  });

  it('walks a healthy candidate through steps 50,100 to 100% live, every step made in Unleash and recorded', async function () {
    const started = await cli('rollout', ROUTE, '--steps', '50,100', '--min-pairs', '40', '--hold', '1s');
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /plan started: 50% → 100%, ≥ 40 pairs and 1s per step/);

    assert.equal(await turn(), 'live 50');
    assert.deepEqual([(await unleash.admin.flag(LIVE)).rollout, (await unleash.admin.flag(LIVE)).enabled, (await unleash.admin.flag(SHADOW)).rollout], [50, true, 100]);
    const at50 = await trafficAt(50);
    assert.ok(at50.some((r) => r.servedBy === 'candidate') && at50.some((r) => r.servedBy === 'legacy'), 'both sides serve at 50%');
    // Enough pairs but not the hold yet: the step holds.
    assert.equal(await turn(500), 'live 50');
    const status = await cli('status', ROUTE);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /ml-predict +live 50% \(step 1\/2\)/);
    assert.match(status.stdout, /pairs at this step \d+, judge pass/);
    assert.match(status.stdout, /next: 100% live after the hold/);

    assert.equal(await turn(500), 'live 100');
    const at100 = await trafficAt(100);
    assert.ok(at100.every((r) => r.status === 200 && r.servedBy === 'candidate'));
    assert.equal(await turn(), 'completed');
    assert.equal((await unleash.admin.flag(LIVE)).rollout, 100);

    const history = await cli('history', ROUTE);
    assert.equal(history.code, 0, history.stderr);
    // The plan's own actions (the history also holds the flag changes the proxy observed in Unleash).
    const kinds = history.stdout.split('\n').flatMap((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}(rollout-\S+) +(\S+)/.exec(l)?.slice(1, 3).join(' ') ?? []);
    assert.deepEqual(kinds, ['rollout-start cli:' + (await whoami()), 'rollout-step proxy:replica-test', 'rollout-step proxy:replica-test', 'rollout-complete proxy:replica-test']);
    assert.match(history.stdout, /100% live \(step 2\/2\): judge passed on \d+ pairs at 50% live/);
  });

  it('rolls a candidate that turns bad at the second step back to 0% and ends the plan, with the evidence in history', async function () {
    const started = await cli('rollout', ROUTE, '--steps', '20,60,100', '--min-pairs', '40', '--hold', '1s');
    assert.equal(started.code, 0, started.stderr);
    assert.equal(await turn(), 'live 20');
    await trafficAt(20);
    assert.equal(await turn(), 'live 60');
    h.candidate.options.behaviour = 'fail-500';
    try {
      await eventually(() => assert.equal(h.proxy.core.flags.percent(LIVE), 60), 10_000, 50);
      await h.predict(60); // the sequential judge rolls the route back on the pair where the errors show
      await eventually(() => assert.equal(h.sub.store.isRolledBack(ROUTE), true), 10_000, 50);
      assert.equal(await turn(0), 'rolled-back');
    } finally {
      h.candidate.options.behaviour = 'normal';
    }
    assert.equal(h.sub.store.isRolledBack(ROUTE), true);
    await h.sub.controller.settled();
    assert.deepEqual([(await unleash.admin.flag(LIVE)).enabled, (await unleash.admin.flag(SHADOW)).enabled], [false, false]);
    const res = await h.predict(20);
    assert.ok(res.every((r) => r.status === 200 && r.servedBy === 'legacy'), 'every client back on legacy');
    // The plan is over: further turns change nothing.
    assert.equal(await turn(), 'rolled-back');

    const history = await cli('history', ROUTE);
    assert.match(history.stdout, /rollback +proxy:replica-test +candidate rolled back, flags off: /);
    assert.match(history.stdout, /rollout-abort +proxy:replica-test +plan ended: the judge failed at 60% live on \d+ pairs; candidate rolled back, flags off/);
    assert.match(history.stdout, /evidence: .*"error-rate"/);
    const status = await cli('status', ROUTE);
    assert.match(status.stdout, /ml-predict +rolled-back/);
    assert.match(status.stdout, /ended: the judge failed at 60% live/);
  });

  it('refuses bad input with a clear message and exit code 2, changing nothing in Unleash or the plan store', async function () {
    const flagsBefore = JSON.stringify([await unleash.admin.flag(LIVE), await unleash.admin.flag(SHADOW)]);
    const plansBefore = JSON.stringify((await h.sub.rollout.store.list()).map((p) => p.version));
    const cases: Array<[string[], RegExp]> = [
      [['rollout', 'ml-nope', '--steps', '5,25'], /unknown route "ml-nope"; routes: ml-predict, ml-models, ml-anomaly, ml-drift/],
      [['rollout', ROUTE, '--steps', '25,5'], /steps must increase: 25 then 5/],
      [['rollout', ROUTE, '--steps', '5,25,25'], /steps must increase: 25 then 25/],
      [['rollout', ROUTE, '--steps', '0,50'], /step 0 is outside 1\.\.100/],
      [['rollout', ROUTE, '--steps', '50,150'], /step 150 is outside 1\.\.100/],
      [['rollout', ROUTE, '--steps', '5,25', '--hold', 'ten minutes'], /--hold must be a duration like 30s, 10m, 1h30m, got "ten minutes"/],
      [['rollout', ROUTE, '--steps', '5,25', '--min-pairs', 'many'], /--min-pairs must be an integer/],
      [['rollout', ROUTE], /rollout needs --steps/],
      [['pause', 'ml-nope'], /unknown route "ml-nope"/],
      [['history'], /history takes 1 argument, got 0/],
      [['resume', 'ml-models'], /ml-models: no rollout plan/],
      [['pause', ROUTE], /ml-predict: the plan is rolled-back, nothing to pause/],
    ];
    const outs = await Promise.all(cases.map(([args]) => cli(...args)));
    for (const [i, [args, message]] of cases.entries()) {
      const out = outs[i];
      assert.equal(out.code, 2, `${args.join(' ')}: exit ${out.code} ${out.stderr}`);
      assert.match(out.stderr, message, args.join(' '));
      assert.equal(out.stdout, '', args.join(' '));
    }
    assert.equal(JSON.stringify([await unleash.admin.flag(LIVE), await unleash.admin.flag(SHADOW)]), flagsBefore);
    assert.equal(JSON.stringify((await h.sub.rollout.store.list()).map((p) => p.version)), plansBefore);
  });

  it('pause holds a passing step, resume restarts its hold, abort ends the plan with live at 0%, all in history', async function () {
    // The route is rolled back (previous test): a new plan resumes it with its first step.
    assert.equal((await cli('rollout', ROUTE, '--steps', '30,100', '--min-pairs', '40', '--hold', '1s')).code, 0);
    assert.equal(await turn(), 'live 30');
    assert.equal(h.sub.store.isRolledBack(ROUTE), false);
    await trafficAt(30);
    const paused = await cli('pause', ROUTE);
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(await turn(5_000), 'live 30', 'a paused plan holds on a passing judge');
    assert.match((await cli('status', ROUTE)).stdout, /live 30% \(step 1\/2\) \(paused\)[\s\S]*next: paused/);
    assert.equal((await cli('resume', ROUTE)).code, 0);
    assert.equal(await turn(0), 'live 30', 'the hold starts again on resume');
    const aborted = await cli('abort', ROUTE);
    assert.equal(aborted.code, 0, aborted.stderr);
    assert.match(aborted.stdout, /plan aborted; migrate\.ml-predict\.live at 0% \(shadow kept\)/);
    assert.deepEqual([(await unleash.admin.flag(LIVE)).rollout, (await unleash.admin.flag(SHADOW)).rollout], [0, 100]);
    assert.equal(await turn(), 'aborted');
    const who = `cli:${await whoami()}`;
    const tail = (await cli('history', ROUTE)).stdout.split('\n').filter((l) => / rollout-(pause|resume|abort) /.test(l)).slice(-3);
    assert.deepEqual(tail.map((l) => l.split(/ {2,}/).slice(1, 3).join(' ').trim()), [`rollout-pause ${who}`, `rollout-resume ${who}`, `rollout-abort ${who}`]);
  });

  describe('two replicas sharing Redis (the lease) and PostgreSQL (the plan)', function () {
    let redis: TestRedis;
    let a: ShadowHarness;
    let b: ShadowHarness;

    before(async function () {
      closed = true;
      await h.close();
      redis = createTestRedis();
      const replica = (id: string) =>
        startShadowHarness({
          routes: shadowRoutes({ judge: JUDGE }),
          unleash: { apiUrl: unleash.apiUrl, clientToken: unleash.clientToken, adminToken: unleash.adminToken },
          clockStart: Date.now(),
          replicaId: id,
          env: { DATABASE_URL: db.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, ROLLOUT_LEASE_TTL_MS: '3000', SHADOW_LATENCY_WARMUP_PAIRS: '0' },
        });
      a = await replica('replica-a');
      b = await replica('replica-b');
    });
    after(async function () {
      await a?.close();
      await b?.close();
      await redis?.cleanup();
    });

    it('exactly one replica advances each step; when the leader dies the other resumes at the same step', async function () {
      const started = await cli('rollout', ROUTE, '--steps', '10,50,100', '--min-pairs', '40', '--hold', '1s');
      assert.equal(started.code, 0, started.stderr);
      assert.equal(await turnOn(a), 'live 10');
      // a is alive: its lease is renewed as its own timer would (turns are driven by hand here).
      const alive = setInterval(() => void a.sub.rollout.lease.hold().catch(() => undefined), 200);
      assert.equal((await b.sub.rollout.driver.tick()).leader, false, 'b follows while a holds the lease');
      await trafficOn(b, 10); // b serves clients by the flags, but does not drive
      await trafficOn(a, 10);
      assert.equal((await b.sub.rollout.driver.tick()).leader, false);
      assert.equal(await turnOn(a), 'live 50');
      const fenceOfA = a.sub.rollout.driver.lastTurn.token!;

      // a is killed: it renews nothing any more (its process would be gone); its lease runs out.
      clearInterval(alive);
      b.clock.now = a.clock.now; // the replicas' wall clocks agree (each harness has its own fake one)
      const atKill = await b.sub.rollout.store.get(ROUTE);
      await eventually(async () => assert.equal((await b.sub.rollout.driver.tick()).leader, true), 10_000, 200);
      const resumed = b.sub.rollout.driver.lastTurn.plans.find((p) => p.routeId === ROUTE)!;
      assert.deepEqual([resumed.phase, resumed.stepIndex, resumed.stepStartedAt], ['live', 1, atKill!.state.stepStartedAt], 'b resumes at 50%, the same step, same hold');
      assert.ok(b.sub.rollout.driver.lastTurn.token! > fenceOfA, 'the new leader has a larger fencing token');
      // A write fenced with a's token is refused now (a zombie leader cannot move the plan).
      const now = (await b.sub.rollout.store.get(ROUTE))!;
      assert.equal(await a.sub.rollout.store.update(ROUTE, now.version, now.state, fenceOfA), false);
      assert.equal((await a.sub.rollout.driver.tick()).leader, false, 'a, back from the dead, is not the leader');

      await trafficOn(b, 50);
      assert.equal(await turnOn(b), 'live 100');
      await trafficOn(b, 100);
      assert.equal(await turnOn(b), 'completed');

      const history = await cli('history', ROUTE);
      const tail = history.stdout.split('\n').filter((l) => / rollout-/.test(l)).slice(-5).map((l) => l.split(/ {2,}/).slice(1, 3).join(' ').trim());
      assert.deepEqual(tail, ['rollout-start cli:' + (await whoami()), 'rollout-step proxy:replica-a', 'rollout-step proxy:replica-a', 'rollout-step proxy:replica-b', 'rollout-complete proxy:replica-b']);
    });
  });
});

/** One driver turn after the step's hold (fake clock); returns the route's plan phase/step. */
async function turnOn(h: ShadowHarness, holdMs = 1_000): Promise<string> {
  h.clock.now += holdMs;
  const t = await h.sub.rollout.driver.tick();
  assert.equal(t.leader, true);
  const plan = t.plans.find((p) => p.routeId === ROUTE)!;
  return plan.phase === 'live' ? `live ${plan.spec.steps[plan.stepIndex]}` : plan.phase;
}

/** Wait until this proxy's flag client sees the plan's percentages, then send traffic and wait for its pairs. */
async function trafficOn(h: ShadowHarness, live: number, n = 60): Promise<Array<{ status: number; servedBy: string }>> {
  await eventually(() => assert.deepEqual([h.proxy.core.flags.percent(LIVE), h.proxy.core.flags.percent(SHADOW)], [live, 100]), 10_000, 50);
  const before = h.sub.controller.observed(ROUTE);
  const res = await h.predict(n, 8, before);
  await h.pairs(before + n);
  return res;
}

async function whoami(): Promise<string> {
  const os = await import('node:os');
  return os.userInfo().username;
}
