/**
 * docker-compose.yml against the Compose specification's JSON schema (compose/schema/, vendored
 * from compose-spec/compose-spec, see compose/README.md), validated offline with ajv since no
 * Docker engine runs in CI; plus what the schema cannot know: the files it mounts exist.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { COMPOSE_DIR } from './support/tools.js';

interface ComposeFile {
  services: Record<string, { volumes?: Array<string | { source?: string }>; environment?: Record<string, string>; configs?: unknown[] }>;
  [key: string]: unknown;
}

function composeValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(path.join(COMPOSE_DIR, 'schema/compose-spec.json'), 'utf8')) as Record<string, unknown>;
  // The schema names draft-07, ajv's default dialect; its `format`s (duration, ports…) are Compose's own.
  delete schema.$schema;
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

function loadCompose(): ComposeFile {
  return YAML.parse(readFileSync(path.join(COMPOSE_DIR, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
}

function errorsOf(validate: ValidateFunction, doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

describe('compose: docker-compose.yml', function () {
  const validate = composeValidator();

  it('is valid against the Compose specification schema', function () {
    assert.deepEqual(errorsOf(validate, loadCompose()), []);
  });

  it('the same validator refuses a misspelt key and a wrongly typed healthcheck', function () {
    const doc = loadCompose() as unknown as { services: Record<string, Record<string, unknown>> };
    doc.services.proxy.depends_ons = doc.services.proxy.depends_on;
    (doc.services.postgres.healthcheck as Record<string, unknown>).interval = 2;
    const errors = errorsOf(validate, doc);
    assert.ok(errors.includes('/services/proxy must NOT have additional properties'), errors.join('; '));
    assert.ok(errors.includes('/services/postgres/healthcheck/interval must be string'), errors.join('; '));
  });

  it('mounts files that exist (Prometheus config and alerts, Grafana provisioning and dashboard)', function () {
    const doc = loadCompose();
    const mounts = Object.values(doc.services).flatMap((s) => (s.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[0] : (v.source ?? ''))));
    const local = mounts.filter((m) => m.startsWith('./'));
    assert.deepEqual(local.sort(), ['./grafana/dashboards', './grafana/provisioning', './prometheus']);
    for (const m of local) assert.ok(existsSync(path.join(COMPOSE_DIR, m)), `${m} is missing`);
    for (const f of ['prometheus/prometheus.yml', 'prometheus/alerts.yml', 'grafana/dashboards/migration.json', 'grafana/provisioning/datasources/prometheus.yml', 'grafana/provisioning/dashboards/strangler-edge.yml']) {
      assert.ok(existsSync(path.join(COMPOSE_DIR, f)), `${f} is missing`);
    }
  });

  it('sends every service\'s spans to the collector, and Prometheus scrapes all four', function () {
    const doc = loadCompose();
    for (const name of ['legacy-monolith', 'prediction-service', 'anomaly-service', 'proxy']) {
      assert.equal(doc.services[name].environment?.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://jaeger:4318', name);
    }
    const prom = YAML.parse(readFileSync(path.join(COMPOSE_DIR, 'prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    const targets = prom.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets)).sort();
    assert.deepEqual(targets, ['anomaly-service:8002', 'legacy-monolith:8010', 'prediction-service:8001', 'proxy:9901']);
  });
});
