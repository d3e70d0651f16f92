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

interface SideMetrics {
  readonly requests: Array<prom.Counter<string> | undefined>;
  readonly duration: prom.Histogram<string>;
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
  private readonly requests: prom.Counter<'route' | 'target' | 'status_class'>;
  private readonly duration: prom.Histogram<'route' | 'target'>;
  private readonly failures: prom.Counter<'route' | 'reason'>;
  private readonly fallbacks: prom.Counter<'route' | 'reason'>;
  readonly reloads: prom.Counter<'result'>;
  private readonly perRoute = new Map<string, RouteMetrics>();

  constructor(registry: Registry, sources: MetricSources) {
    this.requests = new prom.Counter({
      name: 'proxy_requests_total',
      help: 'Client requests by route, serving target and status class',
      labelNames: ['route', 'target', 'status_class'],
      registers: [registry],
    });
    this.duration = new prom.Histogram({
      name: 'proxy_upstream_duration_seconds',
      help: 'Upstream latency (request sent to response complete) by route and target',
      labelNames: ['route', 'target'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
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
    const side = (target: Target): SideMetrics => ({
      requests: CLASSES.map(() => undefined),
      duration: this.duration.labels({ route, target }) as unknown as prom.Histogram<string>,
    });
    const sides = { legacy: side('legacy'), candidate: side('candidate') };
    const requests = this.requests;
    return {
      count(target, status) {
        const index = status <= 0 ? 0 : Math.min(5, Math.max(1, Math.floor(status / 100)));
        const s = sides[target];
        let child = s.requests[index];
        if (child === undefined) {
          child = requests.labels({ route, target, status_class: CLASSES[index] }) as unknown as prom.Counter<string>;
          s.requests[index] = child;
        }
        child.inc();
      },
      observe(target, seconds) {
        sides[target].duration.observe(seconds);
      },
    };
  }
}
