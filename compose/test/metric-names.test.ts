import assert from 'node:assert/strict';
import { exportedNames, promqlMetricNames } from './support/metric-names.js';

describe('compose: metric names in PromQL and in an exposition', function () {
  const cases: Array<[string, string, string[]]> = [
    ['a bare selector', 'up', ['up']],
    ['labels and range removed', 'rate(proxy_requests_total{target="candidate", route=~"ml-.*"}[5m])', ['proxy_requests_total']],
    ['by-clause labels are not metrics', 'sum by (route, le) (rate(x_bucket[5m]))', ['x_bucket']],
    ['trailing by and without', 'sum(rate(a_total[1m])) by (route) / sum(b) without (instance)', ['a_total', 'b']],
    ['on/group_left label lists', 'a * on (route) group_left (target) b', ['a', 'b']],
    ['numbers and durations', 'histogram_quantile(0.95, sum by (le) (rate(h_bucket[5m] offset 1h))) > 5e-2', ['h_bucket']],
    ['string literals', 'label_replace(up, "dst", "$1", "src", "(.*)")', ['up']],
    ['Grafana variables and macros', 'rate(proxy_requests_total{route=~"$route"}[$__rate_interval]) * ${factor}', ['proxy_requests_total']],
    ['label_values(metric, label)', 'label_values(proxy_route_live_percent, route)', ['proxy_route_live_percent']],
    ['set operators and bool', 'a > bool 1 and b or c unless d', ['a', 'b', 'c', 'd']],
  ];
  for (const [what, expr, names] of cases) {
    it(`promqlMetricNames: ${what}`, function () {
      assert.deepEqual(promqlMetricNames(expr), names);
    });
  }

  it('exportedNames: a histogram declares _bucket, _sum and _count; counters and gauges their own name', function () {
    const text = ['# HELP h_seconds x', '# TYPE h_seconds histogram', 'h_seconds_bucket{le="1"} 0', '# TYPE c_total counter', '# TYPE g gauge', '# TYPE s summary', ''].join('\n');
    assert.deepEqual([...exportedNames(text)].sort(), ['c_total', 'g', 'h_seconds', 'h_seconds_bucket', 'h_seconds_count', 'h_seconds_sum', 's', 's_count', 's_sum']);
  });
});
