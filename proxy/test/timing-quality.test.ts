import assert from 'node:assert/strict';
import { TimingQuality } from '../src/shadow-worker/timing-quality.js';

const side = (latencyMs: number, lagMs: number, timedOut = false) => ({ latencyMs, lagMs, timedOut });

describe('timing quality (which pairs carry latency and timeout evidence)', function () {
  it('warm-up pairs carry no latencies; after them, clean pairs do', function () {
    const q = new TimingQuality(2);
    assert.equal(q.judge(side(5, 0), side(5, 0)), 'warmup');
    assert.equal(q.judge(side(5, 0), side(5, 0)), 'warmup');
    assert.equal(q.judge(side(5, 0), side(5, 0)), null);
  });

  it('either side lagging past a fifth of its latency (1 ms floor) makes the pair unscored', function () {
    const q = new TimingQuality();
    assert.equal(q.judge(side(10, 2), side(10, 2)), null);
    assert.equal(q.judge(side(10, 2.1), side(10, 0)), 'lag');
    assert.equal(q.judge(side(10, 0), side(3, 1.1)), 'lag');
  });

  it('saturation: below half clean over the recent pairs, clean pairs are held too; the share recovers', function () {
    const q = new TimingQuality();
    let n = 0;
    while (q.judge(side(5, 0), side(5, 5)) === 'lag' && q.share >= 0.5) n++;
    assert.ok(n >= 40 && n <= 50, `≈ 64·ln 2 = 44 lagged pairs in a row make it saturated (took ${n + 1})`);
    const after = Array.from({ length: 80 }, () => q.judge(side(5, 0), side(5, 0)));
    const back = after.indexOf(null);
    assert.ok(back >= 50 && back <= 65 && after.slice(0, back).every((v) => v === 'saturated'), `held, then back after ${back} clean pairs (share 0.5 → 0.8: 64·ln(0.5/0.2) ≈ 58): ${after.join(',')}`);
    // One dirty pair in three keeps it clean enough; one in 1.5 does not.
    const mixed = new TimingQuality();
    const verdicts = Array.from({ length: 600 }, (_, i) => mixed.judge(side(5, 0), side(5, i % 3 === 0 ? 5 : 0)));
    assert.equal(verdicts.slice(300).filter((v) => v === 'saturated').length, 0);
  });

  it('timeouts count unless timed through lag or while saturated (then the whole pair is withheld: timeout), warm-up or not', function () {
    const q = new TimingQuality(10);
    assert.equal(q.judge(side(5, 0), side(2_000, 30, true)), 'warmup', 'a hanging candidate on a quiet loop: its failure counts');
    assert.equal(q.judge(side(5, 0), side(2_000, 401, true)), 'timeout', 'the deadline was read 401 ms late');
    assert.equal(q.judge(side(5, 3), side(9, 0)), 'warmup', 'no timeout in the pair: nothing to withhold');
    const saturated = new TimingQuality();
    for (let i = 0; i < 100; i++) saturated.judge(side(5, 0), side(5, 5));
    assert.equal(saturated.judge(side(5, 0), side(2_000, 10, true)), 'timeout');
    assert.equal(new TimingQuality().judge(side(5, 0), side(2_000, 30, true)), null, 'after warm-up a clean timeout is scored in full');
  });
});
