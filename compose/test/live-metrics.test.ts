/**
 * The running services' `/metrics`, as Prometheus will scrape them: the whole stack started on
 * port 0 (monolith, both services, the proxy with shadowing), traffic on every ML route with half
 * of the clients on the candidates and every request mirrored, then
 *  - `promtool check metrics` accepts each of the four expositions (no lint findings at all);
 *  - every metric named by a PromQL expression of the Grafana dashboard or of alerts.yml is one
 *    that some service exports (histogram/counter suffixes resolved from `# TYPE`).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eventually } from '@smp/platform/testkit';
import YAML from 'yaml';
import { exportedNames, promqlMetricNames } from './support/metric-names.js';
import { exerciseEveryRoute, SERVICES, startStack, type ServiceName, type Stack } from './support/stack.js';
import { COMPOSE_DIR, runTool } from './support/tools.js';

interface Dashboard {
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
  templating: { list: Array<{ name: string; query: string | { query: string } }> };
}

/** Every PromQL expression of the dashboard (panel targets and template variable queries). */
function dashboardExpressions(): Array<{ where: string; expr: string }> {
  const dash = JSON.parse(readFileSync(path.join(COMPOSE_DIR, 'grafana/dashboards/migration.json'), 'utf8')) as Dashboard;
  return [
    ...dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `dashboard panel "${p.title}"`, expr: t.expr }))),
    ...dash.templating.list.map((v) => ({ where: `dashboard variable $${v.name}`, expr: typeof v.query === 'string' ? v.query : v.query.query })),
  ];
}

function alertExpressions(): Array<{ where: string; expr: string }> {
  const rules = YAML.parse(readFileSync(path.join(COMPOSE_DIR, 'prometheus/alerts.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  return rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
}

describe('compose: the live /metrics of all four services', function () {
  this.timeout(120_000);
  let stack: Stack;
  const expositions = new Map<ServiceName, string>();

  before(async function () {
    stack = await startStack({ live: 50, shadow: 100 });
    await exerciseEveryRoute(stack, 6);
    // Mirrors answer after the clients were served: wait until pairs were compared and recorded.
    await eventually(async () => {
      const text = await stack.metrics('proxy');
      assert.match(text, /proxy_comparisons_total\{[^}]*outcome="match"/);
      assert.match(text, /proxy_comparison_records_written_total\{[^}]*\} [1-9]/);
    }, 20_000, 100);
    for (const s of SERVICES) expositions.set(s, await stack.metrics(s));
  });
  after(async function () {
    await stack?.close();
  });

  for (const service of SERVICES) {
    it(`promtool check metrics accepts ${service}'s /metrics`, function () {
      const text = expositions.get(service)!;
      assert.match(text, /# TYPE http_request_duration_seconds histogram|# TYPE proxy_requests_total counter/);
      const res = runTool('promtool', ['check', 'metrics'], text);
      assert.equal(`${res.stdout}${res.stderr}`.trim(), '', 'promtool findings');
      assert.equal(res.status, 0);
    });
  }

  it('the shadow path really ran: mirrors answered, pairs compared, both sides served clients', function () {
    const proxy = expositions.get('proxy')!;
    for (const pattern of [/proxy_shadow_mirrors_total\{[^}]*result="answered"/, /proxy_requests_total\{[^}]*target="candidate"/, /proxy_requests_total\{[^}]*target="legacy"/, /proxy_upstream_duration_seconds_bucket\{/]) {
      assert.match(proxy, pattern);
    }
  });

  it('every metric the dashboard and the alerts query is exported by a service', function () {
    const exported = new Set<string>();
    for (const text of expositions.values()) for (const name of exportedNames(text)) exported.add(name);
    const expressions = [...dashboardExpressions(), ...alertExpressions()];
    assert.ok(expressions.length >= 25, `only ${expressions.length} expressions found`);
    const missing: string[] = [];
    const used = new Set<string>();
    for (const { where, expr } of expressions) {
      const names = promqlMetricNames(expr);
      assert.ok(names.length > 0, `${where}: no metric name found in ${expr}`);
      for (const name of names) {
        used.add(name);
        if (!exported.has(name)) missing.push(`${where}: ${name}`);
      }
    }
    assert.deepEqual(missing, []);
    console.log(`      ${expressions.length} expressions name ${used.size} metrics, all exported: ${[...used].sort().join(', ')}`);
  });
});
