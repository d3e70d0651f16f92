/**
 * The plan store on a real PostgreSQL: a plan change and its audit rows are one statement, so a
 * writer that loses the compare-and-set writes no audit row, and one that dies after its write
 * cannot leave a plan step without its row (before, the row was a second query that a SIGKILLed
 * leader never sent).
 */
import assert from 'node:assert/strict';
import { createPgPool, silentLogger, type PgPool } from '@smp/platform';
import { createTestDatabase, type TestDatabase } from '@smp/platform/testkit';
import { migrateRolloutSchema, PgRolloutStore } from '../src/rollout-store.js';
import { newPlan } from '../src/rollout-state.js';
import { listRouteEvents, type RouteEvent } from '../src/route-events.js';

const SPEC = Object.freeze({ steps: [10, 100], shadowFirst: false, minPairs: 20, holdMs: 1_000 });
const ev = (kind: string, summary = kind, detail: unknown = null): RouteEvent => ({ at: Date.UTC(2026, 11, 6, 9), route: 'ml-predict', kind, actor: 'proxy:r1', summary, detail });

describe('rollout store (PostgreSQL): plan rows and their audit rows written together', function () {
  let db: TestDatabase;
  let pool: PgPool;
  let store: PgRolloutStore;

  before(async function () {
    db = await createTestDatabase('rollout_store');
    pool = createPgPool(db.url, silentLogger(), { max: 2 });
    await migrateRolloutSchema(pool);
    store = new PgRolloutStore(pool);
  });
  after(async function () {
    await pool?.end();
    await db?.drop();
  });

  it('create writes the plan and its start event; a second create while it runs writes neither', async function () {
    assert.equal(await store.create(newPlan('ml-predict', SPEC, 'cli:ana', 1), [ev('rollout-start', 'plan started', { spec: SPEC })]), true);
    assert.equal(await store.create(newPlan('ml-predict', SPEC, 'cli:bob', 2), [ev('rollout-start', 'second start')]), false);
    const events = await listRouteEvents(pool, 'ml-predict');
    assert.deepEqual(
      events.map((e) => [e.kind, e.summary, e.detail]),
      [['rollout-start', 'plan started', { spec: SPEC }]],
    );
    assert.equal((await store.get('ml-predict'))!.state.startedBy, 'cli:ana');
  });

  it('update: the winner writes its events with the plan, a stale version or fence writes nothing', async function () {
    const { state, version } = (await store.get('ml-predict'))!;
    const stepped = { ...state, phase: 'live' as const, stepIndex: 0 };
    assert.equal(await store.update('ml-predict', version, stepped, 7, [ev('rollout-step', 'live 10%', { pairs: 25 })]), true);
    assert.equal(await store.update('ml-predict', version, stepped, 7, [ev('rollout-step', 'lost the race')]), false, 'stale version');
    const now = (await store.get('ml-predict'))!;
    assert.equal(await store.update('ml-predict', now.version, stepped, 6, [ev('rollout-step', 'fenced out')]), false, 'smaller fence than the last writer');
    assert.equal(await store.update('ml-predict', now.version, stepped, undefined, []), true, 'the CLI (no fence), no events');
    const summaries = (await listRouteEvents(pool, 'ml-predict')).map((e) => e.summary);
    assert.deepEqual(summaries, ['plan started', 'live 10%']);
  });

  it('an audit row PostgreSQL refuses takes the plan change back with it', async function () {
    const before = (await store.get('ml-predict'))!;
    // jsonb cannot hold U+0000: the event insert fails inside the statement.
    await assert.rejects(store.update('ml-predict', before.version, { ...before.state, stepIndex: 1 }, 7, [ev('rollout-step', 'bad', { text: '\u0000' })]));
    const after = (await store.get('ml-predict'))!;
    assert.deepEqual([after.version, after.state.stepIndex], [before.version, before.state.stepIndex], 'the plan row is unchanged');
    assert.equal((await listRouteEvents(pool, 'ml-predict')).length, 2);
  });
});
