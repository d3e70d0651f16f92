import assert from 'node:assert/strict';
import { CircuitBreaker, type BreakerState } from '../src/upstream/circuit-breaker.js';

type Step = ['acquire', boolean] | ['success' | 'failure' | 'release'] | ['wait', number];

describe('circuit breaker (threshold 3, open 1000 ms)', function () {
  const cases: Array<[string, Step[], BreakerState]> = [
    ['stays closed after 2 failures', [['acquire', true], ['failure'], ['acquire', true], ['failure']], 'closed'],
    ['opens after 3 consecutive failures and refuses traffic', [['failure'], ['failure'], ['failure'], ['acquire', false]], 'open'],
    ['a success resets the count: 2 failures, 1 success, 2 failures stay closed', [['failure'], ['failure'], ['success'], ['failure'], ['failure']], 'closed'],
    ['refuses for 999 ms after opening', [['failure'], ['failure'], ['failure'], ['wait', 999], ['acquire', false]], 'open'],
    ['lets exactly one probe through after 1000 ms', [['failure'], ['failure'], ['failure'], ['wait', 1000], ['acquire', true], ['acquire', false]], 'half-open'],
    ['closes when the probe succeeds', [['failure'], ['failure'], ['failure'], ['wait', 1000], ['acquire', true], ['success'], ['acquire', true], ['acquire', true]], 'closed'],
    ['reopens when the probe fails, for another 1000 ms', [['failure'], ['failure'], ['failure'], ['wait', 1000], ['acquire', true], ['failure'], ['wait', 500], ['acquire', false]], 'open'],
    ['a released probe lets the next request probe', [['failure'], ['failure'], ['failure'], ['wait', 1000], ['acquire', true], ['release'], ['acquire', true]], 'half-open'],
    ['a late success while open does not close it', [['failure'], ['failure'], ['failure'], ['success'], ['acquire', false]], 'open'],
  ];
  for (const [what, steps, final] of cases) {
    it(what, function () {
      let now = 0;
      const transitions: string[] = [];
      const b = new CircuitBreaker({ threshold: 3, openMs: 1000, now: () => now, onStateChange: (f, t) => transitions.push(`${f}->${t}`) });
      steps.forEach((step, i) => {
        if (step[0] === 'acquire') assert.equal(b.tryAcquire(), step[1], `step ${i}: acquire`);
        else if (step[0] === 'wait') now += step[1];
        else b[step[0]]();
      });
      assert.equal(b.current, final);
    });
  }

  it('reports its state, failures and retry time in a snapshot', function () {
    const now = Date.parse('2025-01-01T00:00:00Z');
    const b = new CircuitBreaker({ threshold: 1, openMs: 5000, now: () => now });
    b.failure();
    assert.deepEqual(b.snapshot(), {
      state: 'open',
      consecutiveFailures: 1,
      openedAt: '2025-01-01T00:00:00.000Z',
      retryAt: '2025-01-01T00:00:05.000Z',
      opens: 1,
    });
  });
});
