/**
 * compose/prometheus with Prometheus's own checker (`promtool`, Debian's `prometheus` package):
 * the alerting rules are well-formed, their unit tests (alerts.test.yml: each alert fires on the
 * series that should raise it, with the labels and texts an operator gets, and stays quiet on
 * the others) pass, and the scrape configuration is valid.
 */
import assert from 'node:assert/strict';
import { runTool } from './support/tools.js';

describe('compose: Prometheus alerting rules', function () {
  this.timeout(60_000);

  it('promtool check rules: alerts.yml holds the 5 migration alerts', function () {
    const res = runTool('promtool', ['check', 'rules', 'prometheus/alerts.yml']);
    assert.equal(res.status, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /SUCCESS: 5 rules found/);
  });

  it('promtool test rules: every alert fires when it should and only then', function () {
    const res = runTool('promtool', ['test', 'rules', 'prometheus/alerts.test.yml']);
    assert.equal(res.status, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /SUCCESS/);
  });

  it('promtool check config: prometheus.yml (syntax; the admin token file exists only in the container)', function () {
    const res = runTool('promtool', ['check', 'config', '--syntax-only', 'prometheus/prometheus.yml']);
    assert.equal(res.status, 0, res.stdout + res.stderr);
  });
});
