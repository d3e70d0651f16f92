import assert from 'node:assert/strict';
import { controlPlan, newPlan, type JudgeReading, type PlanState } from '@smp/flags/rollout-state';
import { parseDuration, parseSteps, RolloutSpecError, type RolloutSpec } from '@smp/flags/rollout-spec';
import { advancePlan, type PlanEffect } from '../src/rollout/rollout-plan.js';
import { compileRouteTable, type RouteTableError } from '../src/routing/route-table.js';

const spec = (over: Partial<RolloutSpec> = {}): RolloutSpec => ({ steps: [5, 25, 100], shadowFirst: false, minPairs: 50, holdMs: 10_000, ...over });
const pass = (pairs: number): JudgeReading => ({ state: 'pass', pairs, evidence: { pairs } });
const undecided = (pairs: number): JudgeReading => ({ state: 'undecided', pairs, evidence: null });
const fail = (pairs: number): JudgeReading => ({ state: 'fail', pairs, evidence: { mismatchRate: 0.4 } });
const kinds = (effects: readonly PlanEffect[]) => effects.map((e) => (e.kind === 'event' ? `event:${e.event}` : e.kind === 'set-flags' ? `flags:${e.live}/${e.shadow}` : e.kind));

/** Drive a plan through (reading, time) turns; returns each turn's phase/step and effects. */
function drive(state: PlanState, turns: Array<[JudgeReading, number, boolean?]>): Array<{ at: string; effects: string[] }> {
  const out = [];
  let s = state;
  for (const [reading, now, rolledBack] of turns) {
    const t = advancePlan(s, { reading, now, rolledBack: rolledBack ?? false });
    s = t.state;
    out.push({ at: s.phase === 'live' ? `live ${s.spec.steps[s.stepIndex]}` : s.phase, effects: kinds(t.effects) });
  }
  return out;
}

describe('rollout plan (pure state machine, driven turn by turn)', function () {
  it('should walk steps 5,25,100 to completed when the judge passes on ≥ 50 pairs after a 10 s hold at each step', function () {
    const turns = drive(newPlan('r', spec(), 'cli:ann', 0), [
      [undecided(0), 0],
      [pass(60), 10_000],
      [pass(60), 20_000],
      [pass(60), 30_000],
    ]);
    assert.deepEqual(turns, [
      { at: 'live 5', effects: ['flags:5/100', 'reset-evidence', 'event:rollout-step'] },
      { at: 'live 25', effects: ['flags:25/100', 'reset-evidence', 'event:rollout-step'] },
      { at: 'live 100', effects: ['flags:100/100', 'reset-evidence', 'event:rollout-step'] },
      { at: 'completed', effects: ['event:rollout-complete'] },
    ]);
  });

  it('should start with 100% shadow and 0% live when shadowFirst, then go to the first live step', function () {
    const turns = drive(newPlan('r', spec({ shadowFirst: true }), 'cli:ann', 0), [
      [undecided(0), 0],
      [pass(60), 10_000],
    ]);
    assert.deepEqual(turns, [
      { at: 'shadow', effects: ['flags:0/100', 'reset-evidence', 'event:rollout-step'] },
      { at: 'live 5', effects: ['flags:5/100', 'reset-evidence', 'event:rollout-step'] },
    ]);
  });

  const holds: Array<[string, JudgeReading, number]> = [
    ['undecided on 500 pairs after the hold', undecided(500), 60_000],
    ['pass on 49 pairs (minPairs 50) after the hold', pass(49), 60_000],
    ['pass on 500 pairs at 9.999 s of a 10 s hold', pass(500), 9_999],
  ];
  for (const [name, reading, now] of holds) {
    it(`should hold the step on ${name}`, function () {
      const started = advancePlan(newPlan('r', spec(), 'cli:ann', 0), { reading: undecided(0), now: 0, rolledBack: false }).state;
      const t = advancePlan(started, { reading, now, rolledBack: false });
      assert.equal(t.state.stepIndex, 0);
      assert.equal(t.state.phase, 'live');
      assert.deepEqual(t.effects, []);
      assert.equal(t.state.reading, reading);
      assert.match(t.state.next, /^25% live after /);
    });
  }

  it('should roll back and end the plan when the judge fails at the second step, with the evidence', function () {
    const turns = drive(newPlan('r', spec(), 'cli:ann', 0), [
      [undecided(0), 0],
      [pass(60), 10_000],
      [fail(30), 12_000],
      [pass(999), 99_000],
    ]);
    assert.deepEqual(turns.slice(2), [
      { at: 'rolled-back', effects: ['rollback', 'event:rollout-abort'] },
      { at: 'rolled-back', effects: [] },
    ]);
    const s = advancePlan(advancePlan(advancePlan(newPlan('r', spec(), 'cli:ann', 0), { reading: undecided(0), now: 0, rolledBack: false }).state, { reading: pass(60), now: 10_000, rolledBack: false }).state, { reading: fail(30), now: 12_000, rolledBack: false });
    const rollback = s.effects.find((e) => e.kind === 'rollback');
    assert.deepEqual(rollback, { kind: 'rollback', reason: 'the judge failed at 25% live on 30 pairs', evidence: { mismatchRate: 0.4 } });
  });

  it('should end the plan rolled-back, asking no second rollback, when the judge already rolled the route back', function () {
    const turns = drive(newPlan('r', spec(), 'cli:ann', 0), [
      [undecided(0), 0],
      [fail(60), 20_000, true],
    ]);
    assert.deepEqual(turns[1], { at: 'rolled-back', effects: ['event:rollout-abort'] });
  });

  it('should not advance while paused, restart the hold on resume, and refuse a second pause', function () {
    const live = advancePlan(newPlan('r', spec(), 'cli:ann', 0), { reading: undecided(0), now: 0, rolledBack: false }).state;
    const paused = controlPlan(live, 'pause', 'cli:bob', 1_000);
    assert.ok('state' in paused);
    assert.equal(kinds(paused.effects).join(), 'event:rollout-pause');
    assert.deepEqual(advancePlan(paused.state, { reading: pass(500), now: 60_000, rolledBack: false }).effects, []);
    assert.deepEqual(controlPlan(paused.state, 'pause', 'cli:bob', 1_000), { error: 'r: the plan is already paused' });
    const resumed = controlPlan(paused.state, 'resume', 'cli:bob', 60_000);
    assert.ok('state' in resumed);
    assert.equal(resumed.state.stepStartedAt, 60_000);
    assert.deepEqual(advancePlan(resumed.state, { reading: pass(500), now: 69_999, rolledBack: false }).effects, []);
    assert.equal(advancePlan(resumed.state, { reading: pass(500), now: 70_000, rolledBack: false }).state.stepIndex, 1);
  });

  it('should abort a running plan with live back to 0% and refuse to abort an ended one', function () {
    const live = advancePlan(newPlan('r', spec(), 'cli:ann', 0), { reading: undecided(0), now: 0, rolledBack: false }).state;
    const aborted = controlPlan(live, 'abort', 'cli:bob', 5);
    assert.ok('state' in aborted);
    assert.equal(aborted.state.phase, 'aborted');
    assert.deepEqual(kinds(aborted.effects), ['flags:0/100', 'event:rollout-abort']);
    assert.deepEqual(controlPlan(aborted.state, 'abort', 'cli:bob', 6), { error: 'r: the plan is aborted, nothing to abort' });
  });
});

describe('rollout spec parsing (CLI and route table)', function () {
  const good: Array<[string, number[]]> = [
    ['5,25,50,100', [5, 25, 50, 100]],
    ['1', [1]],
    [' 10%, 100 ', [10, 100]],
  ];
  for (const [text, steps] of good) it(`should read --steps "${text}" as ${steps.join(',')}`, () => assert.deepEqual(parseSteps(text), steps));
  const bad: Array<[string, RegExp]> = [
    ['5,25,25', /steps must increase: 25 then 25/],
    ['50,25', /steps must increase: 50 then 25/],
    ['0,50', /step 0 is outside 1\.\.100/],
    ['5,101', /step 101 is outside 1\.\.100/],
    ['5,x', /"x" is not a percentage/],
    ['5,,10', /comma list/],
    ['2.5,10', /step 2\.5 is outside/],
  ];
  for (const [text, message] of bad) it(`should refuse --steps "${text}"`, () => assert.throws(() => parseSteps(text), (e: Error) => e instanceof RolloutSpecError && message.test(e.message)));
  const durations: Array<[string, number]> = [
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['2', 2_000],
  ];
  for (const [text, ms] of durations) it(`should read --hold ${text} as ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  for (const text of ['10 minutes', 'soon', '', '5x', '-3s', '31d']) {
    it(`should refuse --hold "${text}"`, () => assert.throws(() => parseDuration(text), RolloutSpecError));
  }
});

describe('a rollout plan declared in the route table (compiled with the table)', function () {
  const upstreams = { legacy: 'http://127.0.0.1:1', prediction: 'http://127.0.0.1:2' };
  const table = (rollout: unknown, candidate: string | null = 'prediction') => ({
    routes: [{ id: 'ml-predict', match: { method: 'POST', path: '/p' }, legacy: 'legacy', ...(candidate ? { candidate } : {}), idempotent: true, rollout }],
  });
  const problems = (file: unknown): string[] => {
    try {
      compileRouteTable(file, upstreams);
      return [];
    } catch (err) {
      return [...(err as RouteTableError).problems];
    }
  };

  it('should compile {"steps":[5,25,100],"shadowFirst":true,"hold":"10m"} to a frozen spec with minPairs 100 by default', function () {
    const route = compileRouteTable(table({ steps: [5, 25, 100], shadowFirst: true, hold: '10m' }), upstreams).byId('ml-predict')!;
    assert.deepEqual(route.rollout, { steps: [5, 25, 100], shadowFirst: true, minPairs: 100, holdMs: 600_000 });
    assert.ok(Object.isFrozen(route.rollout));
  });

  const bad: Array<[string, unknown, string | null, RegExp]> = [
    ['steps not increasing', { steps: [25, 5] }, 'prediction', /^routes\[0\]\.rollout\.steps: steps must increase: 25 then 5$/],
    ['a step over 100', { steps: [5, 150] }, 'prediction', /^routes\[0\]\.rollout\.steps: step 150 is outside 1\.\.100/],
    ['an unparsable hold', { steps: [5], hold: 'soon' }, 'prediction', /^routes\[0\]\.rollout\.hold: hold must be a duration like 30s, 10m, 1h30m, got "soon"$/],
    ['an unknown key', { steps: [5], holdFor: '1m' }, 'prediction', /^routes\[0\]\.rollout: unknown key\(s\) "holdFor"$/],
    ['no candidate', { steps: [5] }, null, /^routes\[0\]\.rollout: the route has no candidate to roll out$/],
  ];
  for (const [name, rollout, candidate, message] of bad) {
    it(`should refuse the table on ${name}, naming the field`, function () {
      const found = problems(table(rollout, candidate));
      assert.ok(found.some((p) => message.test(p)), found.join('\n'));
    });
  }
});
