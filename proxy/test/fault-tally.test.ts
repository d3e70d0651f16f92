import assert from 'node:assert/strict';
import type { Outcome } from '../faults/fault-load.js';
import { tally } from '../faults/fault-tally.js';

const out = (id: string, ok: boolean, idempotent = true, status = ok ? 200 : 502): Outcome => ({ id, idempotent, ok, status, sentAt: 0, doneAt: 1 });
const seen = (served: string[], shadow = 0) => ({ served, shadow, paths: [] });

describe('fault tally: counting from both sides', function () {
  const cases: [string, Outcome[], ReturnType<typeof seen>[], Partial<ReturnType<typeof tally>>][] = [
    ['all served once', [out('a', true), out('b', true)], [seen(['a']), seen(['b'])], { requests: 2, failures: 0, lost: 0, duplicated: 0 }],
    ['an idempotent fallback (candidate then legacy) is not a duplicate', [out('a', true)], [seen(['a']), seen(['a'])], { duplicated: 0 }],
    ['a non-idempotent id at both upstreams is', [out('a', true, false)], [seen(['a']), seen(['a'])], { duplicated: 1 }],
    ['twice at one upstream is', [out('a', true)], [seen(['a', 'a']), seen([])], { duplicated: 1 }],
    ['no answer and no upstream: lost', [out('a', false, true, 0)], [seen([]), seen([])], { failures: 1, lost: 1 }],
    ['an error answer is a failure, not a loss', [out('a', false)], [seen([]), seen([])], { failures: 1, lost: 0 }],
    ['cut after reaching an upstream: a failure, not a loss', [out('a', false, true, 0)], [seen(['a']), seen([])], { failures: 1, lost: 0 }],
    ['non-idempotent failures apart', [out('a', false, false)], [seen([]), seen(['a'])], { failures: 0, nonIdempotentFailures: 1 }],
    ['mirrors only counted', [out('a', true)], [seen(['a'], 3), seen([], 2)], { mirrored: 5, duplicated: 0 }],
  ];
  for (const [name, outcomes, upstreams, expected] of cases) {
    it(name, function () {
      const t = tally(outcomes, upstreams);
      for (const [key, value] of Object.entries(expected)) assert.equal(t[key as keyof typeof t], value, key);
    });
  }
});
