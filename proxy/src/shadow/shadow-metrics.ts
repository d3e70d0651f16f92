/**
 * Prometheus metrics of shadowing, comparison, recording, judging and rollback, on the proxy's
 * injected registry. Labels are bounded: route ids from the route table, fixed reason/outcome sets.
 *
 *   proxy_shadow_skipped_total{route,reason}         requests the shadow flag picked but not mirrored
 *   proxy_shadow_mirrors_total{route,target,result}  mirrored requests by result (answered, timeout, …)
 *   proxy_shadow_in_flight                           mirrored requests in flight (the budget's use)
 *   proxy_comparisons_total{route,outcome,reason}    compared pairs
 *   proxy_comparison_records_dropped_total{reason}   records not written (queue-full, db-error, …)
 *   proxy_comparison_records_written_total
 *   proxy_judge_unscored_pairs_total{route,reason}   pairs whose latencies (warmup, lag, saturated) or
 *                                                    timeout (timeout) were not evidence (timing-quality.ts)
 *   proxy_judge_decisions_total{route,status}        changes of a route's judge status (undecided, pass, fail)
 *   proxy_rollbacks_total{route}
 *   proxy_route_rolled_back{route}                   1 while the route's candidate is out of traffic
 */
import { prom, type Registry } from '@smp/platform';
import type { ComparisonResult } from '../compare/comparator.js';
import type { Unscored } from './worker-protocol.js';

/** Why a request picked by the shadow flag was not mirrored. */
export type SkipReason =
  | 'no-candidate'
  | 'rolled-back'
  | 'disabled'
  | 'not-idempotent'
  | 'request-too-large'
  | 'budget'
  | 'worker-down'
  | 'aborted'
  | 'serving-failed';

export class ShadowMetrics {
  private readonly skipped: prom.Counter<'route' | 'reason'>;
  private readonly mirrors: prom.Counter<'route' | 'target' | 'result'>;
  private readonly comparisons: prom.Counter<'route' | 'outcome' | 'reason'>;
  private readonly calibrations: prom.Counter<'route'>;
  private readonly unscored: prom.Counter<'route' | 'reason'>;
  /** The same counts, readable synchronously for `/status` (routes × 4 reasons: bounded). */
  private readonly unscoredByRoute = new Map<string, Record<string, number>>();
  private readonly failures: prom.Counter<'operation'>;
  readonly dropped: prom.Counter<'reason'>;
  readonly written: prom.Counter;
  readonly decisions: prom.Counter<'route' | 'status'>;
  readonly rollbacks: prom.Counter<'route'>;
  readonly rolledBack: prom.Gauge<'route'>;

  constructor(registry: Registry, sources: { inFlight: () => number; queueDepth: () => number }) {
    const registers = [registry];
    this.skipped = new prom.Counter({ name: 'proxy_shadow_skipped_total', help: 'Requests picked for shadowing but not mirrored, by reason', labelNames: ['route', 'reason'], registers });
    this.mirrors = new prom.Counter({
      name: 'proxy_shadow_mirrors_total',
      help: 'Mirrored requests by route, target side and result (answered, timeout, connect, reset, aborted, error)',
      labelNames: ['route', 'target', 'result'],
      registers,
    });
    this.comparisons = new prom.Counter({
      name: 'proxy_comparisons_total',
      help: 'Compared pairs by route, outcome (match, mismatch, not-compared) and not-compared reason',
      labelNames: ['route', 'outcome', 'reason'],
      registers,
    });
    this.unscored = new prom.Counter({
      name: 'proxy_judge_unscored_pairs_total',
      help: "Compared pairs the judge took no latency evidence from (warmup, lag: timed through the proxy's own event-loop lag, saturated), or nothing at all (timeout timed through lag)",
      labelNames: ['route', 'reason'],
      registers,
    });
    this.calibrations = new prom.Counter({ name: 'proxy_shadow_calibrations_total', help: 'Noise calibration samples (legacy asked twice)', labelNames: ['route'], registers });
    this.failures = new prom.Counter({ name: 'proxy_shadow_internal_errors_total', help: 'Internal failures of the shadow pipeline by operation', labelNames: ['operation'], registers });
    this.dropped = new prom.Counter({ name: 'proxy_comparison_records_dropped_total', help: 'Comparison records not written, by reason', labelNames: ['reason'], registers });
    this.written = new prom.Counter({ name: 'proxy_comparison_records_written_total', help: 'Comparison records written to PostgreSQL', registers });
    this.decisions = new prom.Counter({ name: 'proxy_judge_decisions_total', help: 'Changes of the sequential judge status by route and status (undecided, pass, fail)', labelNames: ['route', 'status'], registers });
    this.rollbacks = new prom.Counter({ name: 'proxy_rollbacks_total', help: 'Automatic rollbacks decided by this replica, by route', labelNames: ['route'], registers });
    this.rolledBack = new prom.Gauge({ name: 'proxy_route_rolled_back', help: '1 while the route is rolled back (candidate out of traffic)', labelNames: ['route'], registers });
    new prom.Gauge({
      name: 'proxy_shadow_in_flight',
      help: 'Mirrored requests in flight',
      registers,
      collect() {
        this.set(sources.inFlight());
      },
    });
    new prom.Gauge({
      name: 'proxy_comparison_queue_depth',
      help: 'Comparison records waiting to be written',
      registers,
      collect() {
        this.set(sources.queueDepth());
      },
    });
  }

  skip(route: string, reason: SkipReason): void {
    this.skipped.inc({ route, reason });
  }

  mirror(route: string, target: 'legacy' | 'candidate', result: string): void {
    this.mirrors.inc({ route, target, result });
  }

  comparison(route: string, result: Pick<ComparisonResult, 'outcome' | 'reason'> & { unscored?: Unscored | null }): void {
    this.comparisons.inc({ route, outcome: result.outcome, reason: result.reason ?? '' });
    if (result.unscored) {
      this.unscored.inc({ route, reason: result.unscored });
      let counts = this.unscoredByRoute.get(route);
      if (counts === undefined) this.unscoredByRoute.set(route, (counts = {}));
      counts[result.unscored] = (counts[result.unscored] ?? 0) + 1;
    }
  }

  /** Pairs of a route the judge took no latency (or timeout) evidence from, by reason, since the start. */
  unscoredOf(route: string): Readonly<Record<string, number>> {
    return this.unscoredByRoute.get(route) ?? {};
  }

  calibrated(route: string): void {
    this.calibrations.inc({ route });
  }

  raised(operation: string): void {
    this.failures.inc({ operation });
  }

  /** Current count of one skip reason (status and tests). */
  async skippedCount(route: string, reason: SkipReason): Promise<number> {
    const values = (await this.skipped.get()).values;
    return values.find((v) => v.labels.route === route && v.labels.reason === reason)?.value ?? 0;
  }
}
