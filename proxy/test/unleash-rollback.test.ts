import assert from 'node:assert/strict';
import { eventually } from '@smp/platform/testkit';
import { startTestUnleash, type TestUnleash } from '@smp/flags/test-unleash';
import { ROUTE, startShadowHarness, type ShadowHarness } from './support/shadow-harness.js';

const LIVE = `migrate.${ROUTE}.live`;
const SHADOW = `migrate.${ROUTE}.shadow`;

describe('rollback against a real Unleash server (unleash-server, Admin API)', function () {
  this.timeout(120_000);
  let unleash: TestUnleash;
  let h: ShadowHarness;

  before(async function () {
    unleash = await startTestUnleash();
    for (const flag of [LIVE, SHADOW]) {
      await unleash.admin.setRollout(flag, 100);
      await unleash.admin.enable(flag);
    }
    h = await startShadowHarness({ candidate: { behaviour: 'fail-500' }, unleash: { apiUrl: unleash.apiUrl, clientToken: unleash.clientToken, adminToken: unleash.adminToken } });
  });
  after(async function () {
    await h?.close();
    await unleash?.close();
  });

  it('switches both route flags off in Unleash on rollback; turning the live flag back on resumes the candidate', async function () {
    await eventually(() => assert.equal(h.proxy.core.flags.percent(LIVE), 100), 10_000);
    await h.predictUntilRolledBack(1_000);
    assert.equal(h.sub.store.isRolledBack(ROUTE), true);
    await h.sub.controller.settled();
    assert.deepEqual([(await unleash.admin.flag(LIVE)).enabled, (await unleash.admin.flag(SHADOW)).enabled], [false, false]);

    // The proxy's flag client sees the flags off; still rolled back (no automatic re-enable).
    await eventually(() => assert.equal(h.proxy.core.flags.definition(LIVE)?.enabled, false), 5_000);
    assert.equal(await h.watch(), 'held');

    // A release manager turns the live flag back on after fixing the candidate.
    h.candidate.options.behaviour = 'normal';
    await unleash.admin.enable(LIVE);
    await eventually(async () => assert.equal(await h.watch(), 'resumed-by-flag'), 5_000, 100);
    const res = await h.predict(10);
    assert.ok(res.every((r) => r.status === 200 && r.servedBy === 'candidate'));
  });
});
