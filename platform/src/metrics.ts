/**
 * Prometheus metrics against an injected prom-client Registry: never the global one, so two apps in
 * one process (as in tests) never share or clash. Label values must be bounded: route templates,
 * status classes, never raw paths or user ids.
 */
import client from 'prom-client';

export { client as prom };
export type Registry = client.Registry;

export function createRegistry(options: { service: string; processMetrics?: boolean }): client.Registry {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.processMetrics ?? true) client.collectDefaultMetrics({ register: registry });
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
