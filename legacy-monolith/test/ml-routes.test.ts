import assert from 'node:assert/strict';
import { awaitRoomInMinute, http } from '@smp/platform/testkit';
import { HEALTHY_FEATURES, startMonolith, type MonolithUnderTest } from './support/monolith-harness.js';

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const LEGACY_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

describe('monolith ML routes', function () {
  let m: MonolithUnderTest;
  before(async function () {
    m = await startMonolith({ env: { API_KEYS: 'k1,k2,k3' } });
  });
  after(async function () {
    await m?.close();
  });
  const post = (path: string, body: unknown, key = 'k1') => http(`${m.url}${path}`, { method: 'POST', body: body as object, headers: { 'x-api-key': key } });
  const get = (path: string) => http(`${m.url}${path}`, { headers: { 'x-api-key': 'k1' } });

  describe('POST /api/v1/ml/predict', function () {
    it('scores a healthy machine with ai4i_classifier (auto -> the Production version): prediction [0], SHAP per feature', async function () {
      const latest = await get('/api/v1/ml/models/ai4i_classifier/latest');
      const res = await post('/api/v1/ml/predict', { model_name: 'ai4i_classifier', features: HEALTHY_FEATURES });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), ['prediction', 'confidence', 'model_info', 'timestamp', 'request_id', 'shap_values', 'feature_importance']);
      assert.deepEqual(res.json.prediction, [0]);
      assert.ok(res.json.confidence >= 0.5 && res.json.confidence <= 1, String(res.json.confidence));
      assert.deepEqual(res.json.model_info, {
        model_name: 'ai4i_classifier',
        model_version: latest.json.resolved_version,
        loaded_from: 'MLflow Model Registry',
        feature_adaptation: 'Adapted 5 input features',
      });
      assert.match(res.json.timestamp, LEGACY_TS);
      assert.match(res.json.request_id, UUID4);
      for (const name of Object.keys(HEALTHY_FEATURES)) assert.equal(typeof res.json.shap_values[name], 'number', name);
      assert.deepEqual(res.json.feature_importance, res.json.shap_values);
    });

    it('predicts failure [1] for a power failure (3 Nm at 2,800 rpm is 0.9 kW, below 3.5 kW), Type L', async function () {
      const res = await post('/api/v1/ml/predict', {
        model_name: 'ai4i_classifier',
        features: { Air_temperature_K: 300, Process_temperature_K: 310, Rotational_speed_rpm: 2800, Torque_Nm: 3, Tool_wear_min: 50, Type: 'L' },
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json.prediction, [1]);
      assert.equal(res.json.model_info.feature_adaptation, 'Adapted 6 input features');
    });

    it('gives a fresh request_id per call and null explanations for explain=false on version "1"', async function () {
      const a = await post('/api/v1/ml/predict', { model_name: 'ai4i_classifier', model_version: '1', features: HEALTHY_FEATURES, explain: false });
      const b = await post('/api/v1/ml/predict', { model_name: 'ai4i_classifier', model_version: '1', features: HEALTHY_FEATURES, explain: false });
      assert.equal(a.status, 200, a.text);
      assert.equal(a.json.model_info.model_version, '1');
      assert.equal(a.json.shap_values, null);
      assert.equal(a.json.feature_importance, null);
      assert.notEqual(a.json.request_id, b.json.request_id);
    });

    it('answers 404 "Model \'nope\' version \'auto\' not found in MLflow Registry" and the same for version 99', async function () {
      const res = await post('/api/v1/ml/predict', { model_name: 'nope', features: HEALTHY_FEATURES });
      assert.equal(res.status, 404);
      assert.deepEqual(res.json, { detail: "Model 'nope' version 'auto' not found in MLflow Registry" });
      const v99 = await post('/api/v1/ml/predict', { model_name: 'ai4i_classifier', model_version: '99', features: HEALTHY_FEATURES });
      assert.equal(v99.status, 404);
      assert.deepEqual(v99.json, { detail: "Model 'ai4i_classifier' version '99' not found in MLflow Registry" });
    });

    it("answers 400 \"Feature preparation failed: Missing required features: ['Torque_Nm', 'Tool_wear_min']\"", async function () {
      const { Torque_Nm: _t, Tool_wear_min: _w, ...rest } = HEALTHY_FEATURES;
      const res = await post('/api/v1/ml/predict', { model_name: 'ai4i_classifier', features: rest });
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, { detail: "Feature preparation failed: Missing required features: ['Torque_Nm', 'Tool_wear_min']" });
    });

    it('answers 422 "body → features: Field required" and "body → features: Input should be a valid dictionary"', async function () {
      const missing = await post('/api/v1/ml/predict', { model_name: 'ai4i_classifier' });
      assert.equal(missing.status, 422);
      assert.deepEqual(missing.json, { detail: 'Request validation failed: body → features: Field required' });
      const list = await post('/api/v1/ml/predict', { model_name: 'ai4i_classifier', features: [1, 2] });
      assert.deepEqual(list.json, { detail: 'Request validation failed: body → features: Input should be a valid dictionary' });
    });
  });

  describe('POST /api/v1/ml/detect_anomaly', function () {
    before(async function () {
      // A steady history of 12 readings around 25 for sensor iso-1, one minute apart, ending 10 minutes ago.
      const end = Date.now() - 10 * 60_000;
      for (let i = 0; i < 12; i++) {
        await m.sql.query(`INSERT INTO sensor_readings (sensor_id, sensor_type, value, unit, "timestamp") VALUES ('iso-1', 'temperature', $1, 'C', $2)`, [
          25 + ((i % 3) - 1) * 0.2,
          new Date(end - i * 60_000),
        ]);
      }
    });

    it('flags 250 °C against a 25 °C history and not 25.1 °C, at sensitivity 0.9', async function () {
      const res = await post('/api/v1/ml/detect_anomaly', {
        sensitivity: 0.9,
        sensor_readings: [
          { sensor_id: 'iso-1', value: 25.1, sensor_type: 'temperature', unit: 'C' },
          { sensor_id: 'iso-1', value: 250, sensor_type: 'temperature', unit: 'C', quality: 0.9 },
        ],
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), ['anomalies_detected', 'total_readings_analyzed', 'anomaly_count', 'model_info', 'analysis_timestamp', 'request_id']);
      assert.equal(res.json.total_readings_analyzed, 2);
      assert.equal(res.json.anomaly_count, 1);
      const alert = res.json.anomalies_detected[0];
      assert.deepEqual(Object.keys(alert), ['id', 'sensor_id', 'anomaly_type', 'severity', 'confidence', 'description', 'evidence', 'recommended_actions', 'created_at', 'status']);
      assert.equal(alert.sensor_id, 'iso-1');
      assert.equal(alert.anomaly_type, 'isolation_forest_anomaly');
      assert.equal(alert.severity, Math.min(5, Math.max(1, Math.round(alert.confidence * 5))));
      assert.equal(alert.description, `Isolation Forest detected anomaly (score=${alert.confidence.toFixed(3)}, sensitivity=0.90)`);
      assert.deepEqual(Object.keys(alert.evidence), ['sensor_value', 'sensor_unit', 'sensor_type', 'quality_score', 'feature_vector']);
      assert.equal(alert.evidence.sensor_value, 250);
      assert.equal(alert.evidence.quality_score, 0.9);
      assert.deepEqual(Object.keys(alert.evidence.feature_vector), ['value_lag_1', 'value_lag_2', 'value_lag_3', 'value_lag_4', 'value_lag_5', 'value_scaled', 'quality_scaled']);
      assert.equal(alert.evidence.feature_vector.value_scaled, 1);
      assert.deepEqual(alert.recommended_actions, ['Investigate sensor reading', 'Check sensor calibration', 'Review historical data for patterns']);
      assert.equal(alert.status, 'open');
      assert.match(alert.created_at, LEGACY_TS);
      assert.equal(res.json.model_info.model_name, 'anomaly_detector_refined_v2');
      assert.equal(res.json.model_info.sensitivity, '0.900');
      assert.equal(res.json.model_info.loaded_from, 'MLflow Model Registry');
      const stored = await m.sql.query(`SELECT sensor_id, severity, status FROM anomaly_alerts WHERE id = $1`, [alert.id]);
      assert.deepEqual(stored.rows, [{ sensor_id: 'iso-1', severity: alert.severity, status: 'open' }]);
    });

    it('flags every reading at sensitivity 0 and reports 0 of 0 for an empty list', async function () {
      const all = await post('/api/v1/ml/detect_anomaly', { sensitivity: 0, sensor_readings: [{ sensor_id: 'iso-2', value: 30, sensor_type: 'pressure', unit: 'bar' }] });
      assert.equal(all.json.anomaly_count, 1);
      const none = await post('/api/v1/ml/detect_anomaly', { sensor_readings: [] });
      assert.equal(none.status, 200);
      assert.equal(none.json.anomaly_count, 0);
      assert.equal(none.json.total_readings_analyzed, 0);
    });

    it('answers 404 for an unknown anomaly model and 422 naming the item index of a bad reading', async function () {
      const unknown = await post('/api/v1/ml/detect_anomaly', { model_name: 'nope', sensor_readings: [] });
      assert.equal(unknown.status, 404);
      assert.deepEqual(unknown.json, { detail: "Anomaly detection model 'nope' version 'auto' not found" });
      const bad = await post('/api/v1/ml/detect_anomaly', { sensor_readings: [{ sensor_id: 's', value: 1, sensor_type: 'temperature', unit: 'C' }, { sensor_id: 's', value: 1 }] });
      assert.equal(bad.status, 422);
      assert.deepEqual(bad.json, {
        detail: 'Request validation failed: body → sensor_readings → 1 → sensor_type: Field required; body → sensor_readings → 1 → unit: Field required',
      });
    });
  });

  describe('POST /api/v1/ml/check_drift', function () {
    it('reports insufficient data for an unknown sensor (not a 404): baseline=0, recent=0, required=30', async function () {
      const res = await post('/api/v1/ml/check_drift', { sensor_id: 'never-seen' }, 'k2');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json), [
        'sensor_id', 'recent_count', 'baseline_count', 'window_minutes', 'ks_statistic', 'p_value', 'p_value_threshold',
        'drift_detected', 'insufficient_data', 'request_id', 'evaluated_at', 'notes',
      ]);
      assert.deepEqual({ ...res.json, request_id: undefined, evaluated_at: undefined }, {
        sensor_id: 'never-seen',
        recent_count: 0,
        baseline_count: 0,
        window_minutes: 60,
        ks_statistic: null,
        p_value: null,
        p_value_threshold: 0.05,
        drift_detected: false,
        insufficient_data: true,
        request_id: undefined,
        evaluated_at: undefined,
        notes: 'Insufficient samples: baseline=0, recent=0, required=30',
      });
      assert.match(res.json.evaluated_at, LEGACY_TS);
    });

    it('detects a +3 shift: 40 baseline readings near 25 and 40 recent near 28 -> drift_detected, p < 1e-6', async function () {
      const now = Date.now();
      for (let i = 0; i < 40; i++) {
        const wobble = ((i * 7) % 11) / 10 - 0.5;
        await m.sql.query(
          `INSERT INTO sensor_readings (sensor_id, sensor_type, value, "timestamp") VALUES ('drift-1', 'temperature', $1, $2), ('drift-1', 'temperature', $3, $4)`,
          [25 + wobble, new Date(now - 110 * 60_000 + i * 60_000), 28 + wobble, new Date(now - 50 * 60_000 + i * 60_000)],
        );
      }
      const res = await post('/api/v1/ml/check_drift', { sensor_id: 'drift-1', min_samples: 30 }, 'k2');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.baseline_count, 40);
      assert.equal(res.json.recent_count, 40);
      assert.equal(res.json.ks_statistic, 1);
      assert.ok(res.json.p_value < 1e-6, String(res.json.p_value));
      assert.equal(res.json.drift_detected, true);
      assert.equal(res.json.insufficient_data, false);
      assert.equal(res.json.notes, null);
    });

    it('answers 422 for min_samples=5 ("greater than 5") without spending rate-limit budget', async function () {
      const res = await post('/api/v1/ml/check_drift', { sensor_id: 's', min_samples: 5, window_minutes: 0 }, 'k3');
      assert.equal(res.status, 422);
      assert.deepEqual(res.json, {
        detail: 'Request validation failed: body → window_minutes: Input should be greater than 0; body → min_samples: Input should be greater than 5',
      });
    });

    it('allows 10 calls per minute per key: the 11th with key k3 gets 429 with Retry-After, key k1 still passes', async function () {
      await awaitRoomInMinute();
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 11; i++) {
        last = await post('/api/v1/ml/check_drift', { sensor_id: 'rl' }, 'k3');
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [...Array(10).fill(200), 429]);
      assert.deepEqual(last!.json, { detail: 'Rate limit exceeded: 10 per 1 minute' });
      const retryAfter = Number(last!.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
      assert.equal((await post('/api/v1/ml/check_drift', { sensor_id: 'rl' }, 'k1')).status, 200);
    });
  });

  describe('model registry routes', function () {
    it('lists ai4i_classifier and anomaly_detector_refined_v2 with MLflow-style fields', async function () {
      const res = await get('/api/v1/ml/models');
      assert.equal(res.status, 200);
      const names = res.json.models.map((x: { name: string }) => x.name);
      assert.ok(names.includes('ai4i_classifier') && names.includes('anomaly_detector_refined_v2'), names.join(','));
      assert.equal(res.json.count, res.json.models.length);
      assert.deepEqual(Object.keys(res.json.models[0]), ['name', 'description', 'latest_version', 'creation_timestamp', 'last_updated_timestamp', 'tags', 'current_stage']);
      assert.equal(typeof res.json.models[0].creation_timestamp, 'number');
    });

    it('lists ai4i_classifier versions newest first (2 then 1), READY', async function () {
      const res = await get('/api/v1/ml/models/ai4i_classifier/versions');
      assert.equal(res.status, 200);
      assert.equal(res.json.model_name, 'ai4i_classifier');
      const versions = res.json.versions.map((v: { version: string }) => v.version);
      assert.deepEqual(versions.slice(-2), ['2', '1']);
      assert.deepEqual(Object.keys(res.json.versions[0]), ['version', 'current_stage', 'status', 'creation_timestamp']);
      assert.ok(res.json.versions.every((v: { status: string }) => v.status === 'READY'));
    });

    it('resolves latest and answers 404 "Model \'ghost\' not found" for an unknown name on both routes', async function () {
      const latest = await get('/api/v1/ml/models/ai4i_classifier/latest');
      assert.equal(latest.status, 200);
      assert.deepEqual(Object.keys(latest.json), ['model_name', 'resolved_version', 'current_stage', 'status']);
      for (const path of ['/api/v1/ml/models/ghost/versions', '/api/v1/ml/models/ghost/latest']) {
        const res = await get(path);
        assert.equal(res.status, 404);
        assert.deepEqual(res.json, { detail: "Model 'ghost' not found" });
      }
    });

    it('GET /api/v1/ml/health answers healthy with the test model loaded', async function () {
      const res = await http(`${m.url}/api/v1/ml/health`);
      assert.equal(res.status, 200, res.text);
      assert.deepEqual({ ...res.json, timestamp: undefined }, { status: 'healthy', model_registry: 'accessible', test_model_loaded: true, timestamp: undefined });
    });
  });
});

describe('check_drift rate limit shared through Redis', function () {
  it('counts 6 calls on replica A and 5 on replica B against one budget: the 11th (on B) gets 429', async function () {
    const a = await startMonolith({ env: { API_KEYS: 'shared-key' } });
    const b = await startMonolith({ db: a.db, redis: a.redis!, env: { API_KEYS: 'shared-key' } });
    try {
      const call = (url: string) => http(`${url}/api/v1/ml/check_drift`, { method: 'POST', body: { sensor_id: 'x' }, headers: { 'x-api-key': 'shared-key' } });
      await awaitRoomInMinute();
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await call(a.url)).status);
      for (let i = 0; i < 5; i++) statuses.push((await call(b.url)).status);
      assert.deepEqual(statuses, [...Array(10).fill(200), 429]);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
