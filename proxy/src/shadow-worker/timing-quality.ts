/**
 * Which pairs the judge may take latency (and timeout) evidence from. Both sides of a pair are
 * timed on event loops: legacy on the serving thread in shadow mode, the candidate on this worker
 * (the other way round in live mode). When a loop runs late, an answer waits in its socket before
 * it is read and reads slow for reasons of our own (event-loop-lag.ts). Two rules:
 *
 * 1. A pair is timed cleanly when each side's thread lagged under a fifth of that side's latency
 *    (or under 1 ms) while it was timed (`timedCleanly`).
 * 2. While most recent pairs are not timed cleanly, the proxy is saturated and even the clean ones
 *    are not evidence: on a CPU-saturated 2-core machine (shadow bench, closed loop, 88% of pairs
 *    timed through lag) the upstream processes themselves are starved in turns, and the A/A
 *    candidate's clean pairs read > 1.5× legacy in runs of hundreds (42% of them in one stretch).
 *    Slowness that comes from our machine is not the candidate's; the judge holds its latency
 *    criteria until timing is clean again, and the pairs are counted as unscored (metric
 *    `proxy_judge_unscored_pairs_total`). "Most recent": an exponentially weighted share of clean
 *    pairs over ≈ the last 64 pairs: saturated once it falls below one half, until it is back above
 *    0.8 (≈ 58 clean pairs in a row).
 *
 * Timeouts follow the same rule: a side that timed out while its thread lagged past a fifth of
 * the deadline, or while saturated, is no error evidence (the answer may have been in the socket);
 * the judge does not see the pair. Other failures (5xx, resets, refused connections) always count.
 * A candidate that hangs does not load our CPU, so its timeouts are timed cleanly and count.
 */
import { timedCleanly } from '../event-loop-lag.js';
import type { Unscored } from '../shadow/worker-protocol.js';

/** Weight of the newest pair in the clean share: ≈ 1/64. */
const WEIGHT = 1 / 64;
const SATURATED_BELOW = 0.5;
/** Hysteresis: saturation ends once the share is back above this (no flapping at the edge). */
const CLEAN_ABOVE = 0.8;

export interface TimedSide {
  readonly latencyMs: number;
  readonly lagMs: number;
  /** The side timed out (its latency is the deadline). */
  readonly timedOut: boolean;
}

export class TimingQuality {
  private cleanShare = 1;
  private saturatedNow = false;
  private warmupLeft: number;

  /** `warmupPairs`: a fresh thread runs cold code; its first pairs' latencies are not evidence. */
  constructor(warmupPairs = 0) {
    this.warmupLeft = warmupPairs;
  }

  /** The share of recent pairs timed cleanly (exponentially weighted). */
  get share(): number {
    return this.cleanShare;
  }

  /**
   * What the judge may take from the pair: everything (null), its comparison and failures but not
   * its latencies (`warmup`, `lag`, `saturated`), or nothing (`timeout`: a timeout that cannot be
   * told from our own lag).
   */
  judge(a: TimedSide, b: TimedSide): Unscored | null {
    const clean = timedCleanly(a.latencyMs, a.lagMs) && timedCleanly(b.latencyMs, b.lagMs);
    this.cleanShare += WEIGHT * ((clean ? 1 : 0) - this.cleanShare);
    if (this.cleanShare < SATURATED_BELOW) this.saturatedNow = true;
    else if (this.cleanShare >= CLEAN_ABOVE) this.saturatedNow = false;
    const warmup = this.warmupLeft > 0;
    if (warmup) this.warmupLeft--;
    if ((a.timedOut || b.timedOut) && (!clean || this.saturatedNow)) return 'timeout';
    return warmup ? 'warmup' : !clean ? 'lag' : this.saturatedNow ? 'saturated' : null;
  }
}
