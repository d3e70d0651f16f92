/**
 * The provisioned Grafana dashboard as Grafana will load it: the file provider points where
 * compose mounts the dashboards, every query uses the provisioned Prometheus datasource, the
 * layout fits Grafana's 24-column grid, and the per-route row repeats over `$route` with each of
 * its queries filtered by it and the migration's six views present. (That the metrics exist is
 * checked against the live services in live-metrics.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { promqlMetricNames } from './support/metric-names.js';
import { COMPOSE_DIR } from './support/tools.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  repeat?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; datasource: { uid: string } }>;
}

const read = (file: string) => readFileSync(path.join(COMPOSE_DIR, file), 'utf8');

describe('compose: the Grafana dashboard and its provisioning', function () {
  const dash = JSON.parse(read('grafana/dashboards/migration.json')) as { uid: string; panels: Panel[]; templating: { list: Array<{ name: string; datasource: { uid: string } }> } };
  const datasource = (YAML.parse(read('grafana/provisioning/datasources/prometheus.yml')) as { datasources: Array<{ uid: string; type: string; url: string }> }).datasources[0];
  const provider = (YAML.parse(read('grafana/provisioning/dashboards/strangler-edge.yml')) as { providers: Array<{ options: { path: string } }> }).providers[0];
  const compose = YAML.parse(read('docker-compose.yml'), { merge: true }) as { services: { grafana: { volumes: string[] } } };

  it('is loaded from where compose mounts it, and queries the provisioned Prometheus datasource', function () {
    assert.ok(compose.services.grafana.volumes.includes(`./grafana/dashboards:${provider.options.path}:ro`), compose.services.grafana.volumes.join(', '));
    assert.deepEqual([datasource.type, datasource.url], ['prometheus', 'http://prometheus:9090']);
    for (const p of dash.panels.filter((x) => x.type !== 'row')) {
      assert.equal(p.datasource?.uid, datasource.uid, p.title);
      for (const t of p.targets ?? []) assert.equal(t.datasource.uid, datasource.uid, p.title);
    }
    for (const v of dash.templating.list) assert.equal(v.datasource.uid, datasource.uid, v.name);
  });

  it('has unique panel ids and fits the 24-column grid without overlaps', function () {
    const ids = dash.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    const cells = new Set<string>();
    for (const p of dash.panels) {
      assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title} leaves the grid`);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          assert.ok(!cells.has(`${x},${y}`), `${p.title} overlaps another panel at ${x},${y}`);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it('repeats one row per route, every query in it filtered by $route, showing the six views of a migration', function () {
    const row = dash.panels.findIndex((p) => p.type === 'row' && p.repeat === 'route');
    assert.ok(row >= 0, 'no row repeated over $route');
    const routePanels = dash.panels.slice(row + 1).filter((p) => p.type !== 'row');
    assert.ok(routePanels.length >= 6);
    for (const p of routePanels) for (const t of p.targets ?? []) assert.match(t.expr, /route=~"\$route"/, `${p.title}: ${t.expr}`);
    const names = new Set(dash.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => promqlMetricNames(t.expr))));
    const views: Record<string, string> = {
      'traffic split': 'proxy_requests_total',
      'mismatch rate': 'proxy_comparisons_total',
      'latency of both sides': 'proxy_upstream_duration_seconds_bucket',
      rollbacks: 'proxy_route_rolled_back',
      'breaker state': 'proxy_breaker_state',
      'shadow skips': 'proxy_shadow_skipped_total',
    };
    for (const [view, metric] of Object.entries(views)) assert.ok(names.has(metric), `${view}: no panel reads ${metric}`);
  });
});
