import assert from 'node:assert/strict';
import { EventLoopLag, timedCleanly } from '../src/event-loop-lag.js';

describe('event-loop lag (both threads time a side of each pair)', function () {
  /** A lag watcher on a fake clock, ticked by hand. */
  function fake(): { lag: EventLoopLag; tickAt: (t: number) => void; set: (t: number) => void } {
    let t = 0;
    const lag = new EventLoopLag(5, () => t, false);
    return {
      lag,
      tickAt: (at) => {
        t = at;
        lag.check();
      },
      set: (at) => {
        t = at;
      },
    };
  }

  it('reports the worst lateness of the ticks inside the window, and only those', function () {
    const { lag, tickAt, set } = fake();
    tickAt(5); // on time
    tickAt(30); // 20 ms late (expected at 10)
    tickAt(35);
    tickAt(40);
    set(42);
    assert.equal(lag.maxLagWithin(40), 20, 'a 40 ms answer received at 42 ms was timed through the stall that ended at 30');
    set(60);
    tickAt(60); // 15 ms late (expected 45)
    assert.equal(lag.maxLagWithin(10), 15, 'the late tick at 60 covers 45–60');
    tickAt(65);
    tickAt(70);
    tickAt(75);
    set(76);
    assert.equal(lag.maxLagWithin(4), 0, 'a 4 ms answer timed after the stalls saw none');
  });

  it('counts a tick that is overdue right now (the loop is stuck in this very run)', function () {
    const { lag, tickAt, set } = fake();
    tickAt(5);
    set(30); // the tick due at 10 has not fired: 20 ms overdue
    assert.equal(lag.maxLagWithin(3), 20);
  });

  it('beyond its history the lag is unknown (Infinity): such a latency is never clean', function () {
    const { lag, tickAt, set } = fake();
    for (let t = 5; t <= 5 * 600; t += 5) tickAt(t);
    set(3001);
    assert.equal(lag.maxLagWithin(100), 0);
    assert.equal(lag.maxLagWithin(10_000), Infinity);
    assert.equal(timedCleanly(10_000, Infinity), false);
  });

  it('timedCleanly: lag under a fifth of the latency, or under 1 ms', function () {
    assert.equal(timedCleanly(40, 8), true);
    assert.equal(timedCleanly(40, 8.1), false);
    assert.equal(timedCleanly(2, 1), true, 'the timer jitter floor');
    assert.equal(timedCleanly(2, 1.5), false);
    assert.equal(timedCleanly(0.3, 0.9), true);
  });

  it('a real timer on an idle loop reads a small lag; a blocked loop reads the block', async function () {
    const lag = new EventLoopLag();
    try {
      await new Promise((r) => setTimeout(r, 60));
      const idle = lag.maxLagWithin(50);
      const until = Date.now() + 40;
      while (Date.now() < until) {
        /* block the loop for 40 ms */
      }
      await new Promise((r) => setTimeout(r, 12));
      const blocked = lag.maxLagWithin(60);
      assert.ok(blocked >= 30, `blocked 40 ms, read ${blocked.toFixed(1)} ms`);
      assert.ok(idle < blocked, `idle ${idle.toFixed(1)} ms < blocked ${blocked.toFixed(1)} ms`);
    } finally {
      lag.close();
    }
  });
});
