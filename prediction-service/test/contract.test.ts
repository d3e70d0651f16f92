/**
 * The prediction service and the real monolith, side by side on the same model registry, answer
 * the same requests with the same status and byte-identical bodies: every malformed predict
 * request (422 flattening, 400 missing features, 404 unknown model or version, body-parser
 * errors), the model-registry routes (success bodies included), unknown paths, and the legacy
 * X-API-Key behaviour. Successful predictions match field by field (confidence within 1e-5: the
 * service computes it in float32).
 */
import assert from 'node:assert/strict';
import { silentLogger, type RunningService } from '@smp/platform';
import { http, type HttpResult } from '@smp/platform/testkit';
import { parseConfig, start } from '../src/index.js';
import { startMonolith, type MonolithControl } from './support/monolith.js';
import { useModelFixture } from './support/model-fixture.js';
import { prerequisiteMissing } from './support/prerequisite.js';

const PREDICT = '/api/v1/ml/predict';
const HEALTHY = { Air_temperature_K: 298.1, Process_temperature_K: 308.6, Rotational_speed_rpm: 1551, Torque_Nm: 42.8, Tool_wear_min: 108 };
const FAILING = { Air_temperature_K: 302.5, Process_temperature_K: 310.1, Rotational_speed_rpm: 1300, Torque_Nm: 68.2, Tool_wear_min: 215, Type: 'L' };

interface Probe {
  what: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

const json = (value: unknown) => JSON.stringify(value);
const JSON_HEADERS = { 'content-type': 'application/json' };

/** Requests both apps must refuse identically (anonymous access allowed, API_KEYS=k1). */
const MALFORMED: Probe[] = [
  { what: 'no body at all', method: 'POST', path: PREDICT },
  { what: 'broken JSON "{"', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: '{' },
  { what: 'an empty object', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: '{}' },
  { what: 'a JSON array', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: '[]' },
  { what: 'JSON null', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: 'null' },
  { what: 'an empty JSON body', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: '' },
  { what: 'a JSON string', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: ' "x"' },
  { what: 'whitespace then broken JSON', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: '\n\t {"model_name": }' },
  { what: 'a BOM before an empty object', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: '\uFEFF{}' },
  { what: 'charset=utf-8 and an empty object', method: 'POST', path: PREDICT, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{}' },
  { what: 'charset=latin1', method: 'POST', path: PREDICT, headers: { 'content-type': 'application/json; charset=latin1' }, body: '{}' },
  { what: 'a query string on the predict path', method: 'POST', path: `${PREDICT}?x=1`, headers: JSON_HEADERS, body: '{}' },
  { what: 'every field of the wrong type', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: json({ model_name: 5, model_version: null, features: [], sensor_id: 1, explain: 'maybe' }) },
  { what: 'features as a string', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: json({ model_name: 'ai4i_classifier', features: 'x' }) },
  { what: 'four required features missing', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: json({ model_name: 'ai4i_classifier', features: { Air_temperature_K: 300 } }) },
  { what: 'Type "X" and a string torque', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: json({ model_name: 'ai4i_classifier', features: { ...HEALTHY, Torque_Nm: '42', Type: 'X' } }) },
  { what: 'an unknown model', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: json({ model_name: 'nope', features: HEALTHY }) },
  { what: 'an unknown version 9', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: json({ model_name: 'ai4i_classifier', model_version: '9', features: HEALTHY }) },
  { what: 'version "latest"', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: json({ model_name: 'ai4i_classifier', model_version: 'latest', features: HEALTHY }) },
  { what: 'the isolation forest as classifier', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: json({ model_name: 'anomaly_detector_refined_v2', features: HEALTHY }) },
  { what: 'a text/plain body', method: 'POST', path: PREDICT, headers: { 'content-type': 'text/plain' }, body: json({ model_name: 'ai4i_classifier', features: HEALTHY }) },
  { what: 'a 2 MB body', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: json({ model_name: 'ai4i_classifier', features: HEALTHY, pad: 'x'.repeat(2_000_000) }) },
  { what: 'a wrong API key', method: 'POST', path: PREDICT, headers: { ...JSON_HEADERS, 'x-api-key': 'wrong' }, body: json({ model_name: 'ai4i_classifier', features: HEALTHY }) },
  { what: 'GET on the predict path', method: 'GET', path: PREDICT },
  { what: 'versions of an unknown model', method: 'GET', path: '/api/v1/ml/models/nope/versions' },
  { what: 'latest of an unknown model', method: 'GET', path: '/api/v1/ml/models/nope/latest' },
  { what: 'versions of an invalid name "a b"', method: 'GET', path: '/api/v1/ml/models/a%20b/versions' },
  { what: 'an unknown ML path', method: 'GET', path: '/api/v1/ml/nothing' },
];

/** Deterministic successes both must answer byte for byte. */
const REGISTRY_ROUTES: Probe[] = [
  { what: 'the model list', method: 'GET', path: '/api/v1/ml/models' },
  { what: 'the versions of ai4i_classifier', method: 'GET', path: '/api/v1/ml/models/ai4i_classifier/versions', headers: { 'x-api-key': 'k1' } },
  { what: 'the latest ai4i_classifier', method: 'GET', path: '/api/v1/ml/models/ai4i_classifier/latest' },
  { what: 'the latest isolation forest', method: 'GET', path: '/api/v1/ml/models/anomaly_detector_refined_v2/latest' },
];

/** With anonymous access off: no key is refused before anything else is looked at. */
const KEYLESS: Probe[] = [
  { what: 'a valid predict', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: json({ model_name: 'ai4i_classifier', features: HEALTHY }) },
  { what: 'an invalid body', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: '{}' },
  { what: 'broken JSON', method: 'POST', path: PREDICT, headers: JSON_HEADERS, body: '{"model_name":' },
  { what: 'the model list', method: 'GET', path: '/api/v1/ml/models' },
  { what: 'versions of an unknown model', method: 'GET', path: '/api/v1/ml/models/nope/versions' },
  { what: 'a predict with an empty X-API-Key', method: 'POST', path: PREDICT, headers: { ...JSON_HEADERS, 'x-api-key': '' }, body: '{}' },
];

async function send(base: string, probe: Probe): Promise<HttpResult> {
  return http(`${base}${probe.path}`, { method: probe.method, headers: probe.headers, body: probe.body });
}

function sameAnswer(service: HttpResult, monolith: HttpResult, what: string): void {
  assert.equal(service.status, monolith.status, `${what}: status (monolith said ${monolith.text})`);
  assert.equal(service.text, monolith.text, `${what}: body`);
  assert.equal(service.headers['content-type'], monolith.headers['content-type'], `${what}: content-type`);
}

describe('prediction-service answers exactly like the monolith', function () {
  this.timeout(60_000);
  const models = useModelFixture();

  function pair(env: Record<string, string>) {
    const apps: { service?: RunningService; monolith?: MonolithControl } = {};
    before(async function () {
      const full = { ...env, MODEL_REGISTRY_DIR: models.fixture.dir };
      const monolith = await startMonolith(full);
      if (typeof monolith === 'string') {
        prerequisiteMissing(this, monolith);
      }
      apps.monolith = monolith;
      apps.service = await start({ config: parseConfig({ LOG_LEVEL: 'error', ...full }), port: 0, logger: silentLogger('prediction-service') });
    });
    after(async function () {
      await apps.service?.close();
      await apps.monolith?.close();
    });
    return apps;
  }

  describe('with API_KEYS=k1 and anonymous access allowed', function () {
    const apps = pair({ API_KEYS: 'k1' });

    for (const probe of MALFORMED) {
      it(`gives the monolith's status and byte-identical body for ${probe.what} (${probe.method} ${probe.path})`, async function () {
        const [service, monolith] = await Promise.all([send(apps.service!.url, probe), send(apps.monolith!.url, probe)]);
        assert.ok(monolith.status >= 400, `the monolith accepted ${probe.what}: ${monolith.status}`);
        sameAnswer(service, monolith, probe.what);
      });
    }

    for (const probe of REGISTRY_ROUTES) {
      it(`answers ${probe.what} (${probe.path}) with 200 and the monolith's exact bytes`, async function () {
        const [service, monolith] = await Promise.all([send(apps.service!.url, probe), send(apps.monolith!.url, probe)]);
        assert.equal(monolith.status, 200, monolith.text);
        sameAnswer(service, monolith, probe.what);
      });
    }

    for (const [what, body] of [
      ['a healthy machine, explain defaulted', { model_name: 'ai4i_classifier', features: HEALTHY }],
      ['a worn tool under high torque, Type L, version 2', { model_name: 'ai4i_classifier', model_version: '2', features: FAILING }],
      ['explain false, extra unknown fields ignored', { model_name: 'ai4i_classifier', features: { ...HEALTHY, Type: 'H', Extra: 1 }, explain: false, sensor_id: 'm-7', extra: true }],
    ] as const) {
      it(`predicts ${what} as the monolith does: same keys in order, prediction and model_info; confidence within 1e-5, shap within 1e-4`, async function () {
        const probe = { what, method: 'POST', path: PREDICT, headers: { ...JSON_HEADERS, 'x-api-key': 'k1', 'x-request-id': 'parity-1' }, body: json(body) };
        const [service, monolith] = await Promise.all([send(apps.service!.url, probe), send(apps.monolith!.url, probe)]);
        assert.equal(monolith.status, 200, monolith.text);
        assert.equal(service.status, 200, service.text);
        assert.equal(service.headers['x-request-id'], 'parity-1');
        assert.equal(service.headers['x-model-runtime'], 'onnxruntime');
        const s = service.json;
        const m = monolith.json;
        assert.deepEqual(Object.keys(s), Object.keys(m));
        assert.deepEqual(s.prediction, m.prediction);
        assert.deepEqual(s.model_info, m.model_info);
        assert.ok(Math.abs(s.confidence - m.confidence) <= 1e-5, `confidence ${s.confidence} vs ${m.confidence}`);
        for (const field of ['shap_values', 'feature_importance'] as const) {
          if (m[field] === null) {
            assert.equal(s[field], null);
            continue;
          }
          assert.deepEqual(Object.keys(s[field]), Object.keys(m[field]));
          for (const [feature, value] of Object.entries(m[field] as Record<string, number>)) {
            assert.ok(Math.abs(s[field][feature] - value) <= 1e-4, `${field}.${feature}: ${s[field][feature]} vs ${value}`);
          }
        }
        assert.match(s.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
        assert.match(s.request_id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        assert.notEqual(s.request_id, 'parity-1');
      });
    }
  });

  describe('with API_KEYS=k1 and ALLOW_ANONYMOUS_API_ACCESS=false', function () {
    const apps = pair({ API_KEYS: 'k1', ALLOW_ANONYMOUS_API_ACCESS: 'false' });

    for (const probe of KEYLESS) {
      it(`refuses ${probe.what} without a key exactly as the monolith does`, async function () {
        const [service, monolith] = await Promise.all([send(apps.service!.url, probe), send(apps.monolith!.url, probe)]);
        assert.ok(monolith.status >= 400, `the monolith accepted ${probe.what}`);
        sameAnswer(service, monolith, probe.what);
      });
    }
  });
});
