/**
 * The proxy's Prometheus metrics, on an injected registry (scraped on the admin port). Labels are
 * bounded: route ids from the route table (`unmatched` for the rest), target `legacy`/`candidate`,
 * status classes, failure kinds, upstream names.
 *
 *   proxy_requests_total{route,target,status_class}          status_class: 2xx…5xx, or `aborted`
 *   proxy_upstream_duration_seconds{route,target}            request sent -> response complete
 *   proxy_candidate_failures_total{route,reason}             connect, timeout, status_5xx, error
 *   proxy_fallbacks_total{route,reason}                      failed candidate answered by legacy
 *   proxy_breaker_state{upstream}                            0 closed, 1 half-open, 2 open
 *   proxy_route_live_percent{route}, proxy_route_shadow_percent{route}
 *   proxy_route_reloads_total{result}                        ok, rejected
 */
import { prom, type Registry } from '@smp/platform';
import type { Target } from './exchange.js';
import type { RouteSource } from './routing/route-source.js';
import type { FlagSource } from './split/flag-source.js';
import type { BreakerRegistry, BreakerState } from './upstream/circuit-breaker.js';
import type { FailureKind } from './upstream/upstream-error.js';

const CLASSES = ['aborted', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;
const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * Hot-path counts live in plain numbers and arrays that prom-client reads at scrape time: its own
 * child `inc()`/`observe()` re-validate and re-hash the labels on every call, which costs more than
 * the rest of the metrics work per request.
 */
interface SideMetrics {
  /** Requests per status class index (CLASSES). */
  readonly requests: number[];
  readonly duration: LatencySeries;
}

/** One (route, target) latency series: per-bucket counts (last one is +Inf), sum and count. */
interface LatencySeries {
  readonly labels: { readonly route: string; readonly target: Target };
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** A Prometheus histogram fed from LatencySeries; implements the metric contract prom-client's Registry reads. */
class UpstreamDurationHistogram {
  readonly name = 'proxy_upstream_duration_seconds';
  readonly help = 'Upstream latency (request sent to response complete) by route and target';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly all: LatencySeries[] = [];

  series(route: string, target: Target): LatencySeries {
    const s: LatencySeries = { labels: { route, target }, counts: new Float64Array(DURATION_BUCKETS.length + 1), sum: 0, count: 0 };
    this.all.push(s);
    return s;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> } {
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    for (const s of this.all) {
      if (s.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        cumulative += s.counts[i];
        values.push({ labels: { ...s.labels, le: DURATION_BUCKETS[i] }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const s of this.all) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

function observeInto(s: LatencySeries, seconds: number): void {
  let i = 0;
  while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
  s.counts[i]++;
  s.sum += seconds;
  s.count++;
}

/** Pre-bound children for one route, so the hot path does no label hashing. */
export interface RouteMetrics {
  count(target: Target, status: number): void;
  observe(target: Target, seconds: number): void;
}

export interface MetricSources {
  routes: RouteSource;
  flags: FlagSource;
  breakers: BreakerRegistry;
}

export class ProxyMetrics {
  private readonly duration = new UpstreamDurationHistogram();
  /** Every bound route's per-target request counts, read by the requests counter at scrape time. */
  private readonly counted: Array<{ route: string; target: Target; requests: number[] }> = [];
  private readonly failures: prom.Counter<'route' | 'reason'>;
  private readonly fallbacks: prom.Counter<'route' | 'reason'>;
  readonly reloads: prom.Counter<'result'>;
  private readonly perRoute = new Map<string, RouteMetrics>();

  constructor(registry: Registry, sources: MetricSources) {
    const counted = this.counted;
    new prom.Counter({
      name: 'proxy_requests_total',
      help: 'Client requests by route, serving target and status class',
      labelNames: ['route', 'target', 'status_class'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { route, target, requests } of counted) {
          for (let i = 0; i < CLASSES.length; i++) if (requests[i] > 0) this.inc({ route, target, status_class: CLASSES[i] }, requests[i]);
        }
      },
    });
    registry.registerMetric(this.duration as unknown as prom.Metric);
    this.failures = new prom.Counter({
      name: 'proxy_candidate_failures_total',
      help: 'Candidate attempts that failed (connect error, timeout, 5xx), by route and reason',
      labelNames: ['route', 'reason'],
      registers: [registry],
    });
    this.fallbacks = new prom.Counter({
      name: 'proxy_fallbacks_total',
      help: 'Requests answered by legacy after the candidate failed, by route and reason',
      labelNames: ['route', 'reason'],
      registers: [registry],
    });
    this.reloads = new prom.Counter({
      name: 'proxy_route_reloads_total',
      help: 'Route table reloads by result (ok, rejected)',
      labelNames: ['result'],
      registers: [registry],
    });
    new prom.Gauge({
      name: 'proxy_breaker_state',
      help: 'Circuit breaker state per candidate upstream: 0 closed, 1 half-open, 2 open',
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        this.reset();
        for (const route of sources.routes.current.routes) if (route.candidate) sources.breakers.for(route.candidate.name);
        for (const [name, breaker] of sources.breakers.entries()) this.set({ upstream: name }, BREAKER_VALUE[breaker.current]);
      },
    });
    const percentGauge = (name: string, help: string, flag: 'live' | 'shadow') =>
      new prom.Gauge({
        name,
        help,
        labelNames: ['route'],
        registers: [registry],
        collect() {
          this.reset();
          for (const route of sources.routes.current.routes) {
            if (route.candidate !== null) this.set({ route: route.id }, sources.flags.percent(route.flags[flag]));
          }
        },
      });
    percentGauge('proxy_route_live_percent', 'Rollout % of the live flag per route (share served by the candidate)', 'live');
    percentGauge('proxy_route_shadow_percent', 'Rollout % of the shadow flag per route (share mirrored)', 'shadow');
  }

  forRoute(routeId: string): RouteMetrics {
    let m = this.perRoute.get(routeId);
    if (m === undefined) {
      m = this.bind(routeId);
      this.perRoute.set(routeId, m);
    }
    return m;
  }

  candidateFailure(routeId: string, reason: FailureKind): void {
    this.failures.inc({ route: routeId, reason });
  }

  fallback(routeId: string, reason: FailureKind): void {
    this.fallbacks.inc({ route: routeId, reason });
  }

  private bind(route: string): RouteMetrics {
    const side = (target: Target): SideMetrics => {
      const requests = CLASSES.map(() => 0);
      this.counted.push({ route, target, requests });
      return { requests, duration: this.duration.series(route, target) };
    };
    const sides = { legacy: side('legacy'), candidate: side('candidate') };
    return {
      count(target, status) {
        const index = status <= 0 ? 0 : Math.min(5, Math.max(1, Math.floor(status / 100)));
        sides[target].requests[index]++;
      },
      observe(target, seconds) {
        observeInto(sides[target].duration, seconds);
      },
    };
  }
}
