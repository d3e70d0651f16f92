import assert from 'node:assert/strict';
import { silentLogger } from '@smp/platform';
import { MemoryRolloutStore } from '@smp/flags/rollout-store';
import type { JudgeReading } from '@smp/flags/rollout-state';
import type { RouteEvent } from '@smp/flags/route-events';
import { LocalLease, type LeaderLease } from '../src/rollout/leader-lease.js';
import { RolloutDriver, type RolloutActions } from '../src/rollout/rollout-driver.js';

/** A driver over in-memory parts: the judge's reading, Unleash and the lease are set by the test. */
function rig(options: { lease?: LeaderLease; setFlags?: () => Promise<void> } = {}) {
  const clock = { now: 1_000_000 };
  const reading: { value: JudgeReading } = { value: { state: 'undecided', pairs: 0, evidence: null } };
  const flags: string[] = [];
  const resets: string[] = [];
  const unleash = { down: false };
  const store = new MemoryRolloutStore();
  const events: RouteEvent[] = store.events;
  const actions: RolloutActions = {
    async setFlags(route, live, shadow) {
      if (unleash.down) throw new Error('Unleash unreachable');
      await options.setFlags?.();
      flags.push(`${route} ${live}/${shadow}`);
    },
    async rollBack() {},
    async resume() {},
    isRolledBack: () => false,
  };
  const driver = new RolloutDriver({
    store,
    lease: options.lease ?? new LocalLease('r1'),
    judge: { verdict: () => reading.value, resetEvidence: (r) => void resets.push(r) },
    actions,
    declared: () => [{ routeId: 'ml-predict', spec: { steps: [10, 100], shadowFirst: false, minPairs: 20, holdMs: 1_000 } }],
    replicaId: 'r1',
    now: () => clock.now,
    logger: silentLogger(),
  });
  return { clock, reading, flags, events, resets, unleash, store, driver };
}

describe('rollout driver (in-memory store, fake judge, fake Unleash)', function () {
  it('should start a route-table plan once, as route-table, and take its first step on the same turn', async function () {
    const r = rig();
    await r.driver.tick();
    await r.driver.tick();
    assert.deepEqual(r.flags, ['ml-predict 10/100']);
    assert.deepEqual(r.events.map((e) => `${e.kind} ${e.actor}`), ['rollout-start proxy:r1', 'rollout-step proxy:r1']);
    assert.equal((await r.store.get('ml-predict'))!.state.startedBy, 'route-table');
  });

  it('should leave the plan where it was when Unleash refuses a step, and take it on the next turn', async function () {
    const r = rig();
    await r.driver.tick();
    r.reading.value = { state: 'pass', pairs: 25, evidence: { ok: true } };
    r.clock.now += 1_000;
    r.unleash.down = true;
    const failed = await r.driver.tick();
    assert.equal(failed.plans[0].stepIndex, 0, 'still at 10%');
    assert.equal(r.events.filter((e) => e.kind === 'rollout-step').length, 1);
    r.unleash.down = false;
    const next = await r.driver.tick();
    assert.equal(next.plans[0].stepIndex, 1);
    assert.deepEqual(r.flags, ['ml-predict 10/100', 'ml-predict 100/100']);
    assert.deepEqual(r.events.at(-1)!.detail, { ok: true }, 'the step records the evidence it was taken on');
  });

  it('should move nothing while another replica holds the lease', async function () {
    const r = rig({ lease: { hold: async () => null, renew: async () => false, holder: async () => 'r2', release: async () => undefined } });
    const t = await r.driver.tick();
    assert.equal(t.leader, false);
    assert.deepEqual([r.flags, r.events, await r.store.list()], [[], [], []]);
  });

  it('should renew the lease while a slow turn runs (ticks meanwhile), so a live leader keeps it through a slow step', async function () {
    let unblock = () => {};
    const slowUnleash = new Promise<void>((resolve) => (unblock = resolve));
    const calls: string[] = [];
    const lease: LeaderLease = {
      hold: async () => (calls.push('hold'), 4),
      renew: async () => (calls.push('renew'), true),
      holder: async () => 'r1',
      release: async () => undefined,
    };
    const r = rig({ lease, setFlags: () => slowUnleash });
    const first = r.driver.tick();
    await new Promise((resolve) => setTimeout(resolve, 10)); // the turn now waits on Unleash
    const joined: Array<Promise<unknown>> = [];
    for (let i = 0; i < 2; i++) {
      joined.push(r.driver.tick());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(calls, ['hold', 'renew', 'renew'], 'each tick during the slow turn renewed the lease');
    unblock();
    assert.deepEqual(await Promise.all(joined), [await first, await first], 'the ticks joined the running turn');
    assert.equal((await first).leader, true);
    assert.deepEqual(r.flags, ['ml-predict 10/100']);
    await r.driver.tick();
    assert.deepEqual(calls, ['hold', 'renew', 'renew', 'hold'], 'no renewal outside a running turn: the turn holds the lease itself');
  });

  it('should refuse a write fenced with a token older than the last one written', async function () {
    const r = rig();
    await r.driver.tick();
    const p = (await r.store.get('ml-predict'))!;
    assert.equal(await r.store.update('ml-predict', p.version, p.state, 7), true);
    const q = (await r.store.get('ml-predict'))!;
    assert.equal(await r.store.update('ml-predict', q.version, q.state, 6), false);
    assert.equal(await r.store.update('ml-predict', q.version, q.state), true, 'the CLI writes without a token');
  });
});
