/**
 * Prometheus metrics against an injected prom-client Registry: never the global one, so two apps in
 * one process (as in tests) never share or clash. Label values must be bounded: route templates,
 * status classes, never raw paths or user ids.
 *
 * Every exposition passes `promtool check metrics` (tested in compose/test on the live `/metrics`
 * of all four services): prom-client's default `nodejs_active_{handles,requests,resources}_total`
 * are gauges named like counters, which promtool rejects, so they are dropped; their per-type
 * gauges (`nodejs_active_handles{type=…}` …) stay, and `sum()` over them gives the same total.
 */
import client from 'prom-client';

export { client as prom };
export type Registry = client.Registry;

const GAUGES_NAMED_AS_COUNTERS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export function createRegistry(options: { service: string; processMetrics?: boolean }): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.processMetrics ?? true) {
    client.collectDefaultMetrics({ register: registry });
    for (const name of GAUGES_NAMED_AS_COUNTERS) registry.removeSingleMetric(name);
  }
  return registry;
}

/** `2xx`, `4xx`…: the bounded form of a status code for labels. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

export interface HttpMetrics {
  requests: client.Counter<'handler' | 'method' | 'status'>;
  duration: client.Histogram<'handler' | 'method'>;
}

/** The legacy API's own metric names (see seed-api.md, "Metrics"). */
export function httpMetrics(registry: client.Registry): HttpMetrics {
  return {
    requests: new client.Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route template, method and status class',
      labelNames: ['handler', 'method', 'status'] as const,
      registers: [registry],
    }),
    duration: new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route template and method',
      labelNames: ['handler', 'method'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}
