/**
 * Parity with the monolith: both started for real on ONE test database and ONE Redis key prefix;
 * the same request to each must give the same body, byte for byte, once the fields that are fresh
 * per call (request ids, server timestamps, alert ids) are blanked. Readings come from the
 * monolith's own seeded simulators and from a seeded random generator.
 */
import assert from 'node:assert/strict';
import { createRandom } from '@smp/ml';
import { awaitRoomInMinute, http, type HttpResult } from '@smp/platform/testkit';
import { startAnomalyStack, type AnomalyStack } from './support/anomaly-harness.js';

const KEYS = Array.from({ length: 200 }, (_, i) => `pk${i}`);
let nextKey = 0;
/** A key no drift call has used yet, so the shared 10/minute budget never interferes. */
const freshKey = () => KEYS[nextKey++ % KEYS.length];

const FRESH = new Set(['request_id', 'analysis_timestamp', 'evaluated_at', 'created_at', 'id']);

/** The body text with every fresh field's value replaced by "<fresh>" (key order kept). */
export function withoutFreshFields(text: string): string {
  return JSON.stringify(JSON.parse(text), (key, value) => (FRESH.has(key) && typeof value === 'string' ? '<fresh>' : value));
}

describe('anomaly-service parity with the monolith (one database, one Redis prefix)', function () {
  this.timeout(60_000);
  let s: AnomalyStack;
  let mono: string;

  const both = async (path: string, options: { body?: unknown; headers?: Record<string, string>; method?: string }) => {
    const init = { method: options.method ?? 'POST', headers: options.headers, body: options.body as object };
    const [m, a] = [await http(`${mono}${path}`, init), await http(`${s.url}${path}`, init)];
    return { m, a };
  };
  const assertSameAnswer = (m: HttpResult, a: HttpResult, what: string) => {
    assert.equal(a.status, m.status, `${what}: status ${a.status} vs monolith ${m.status}: ${a.text} / ${m.text}`);
    assert.equal(a.headers['content-type'], m.headers['content-type'], what);
    assert.equal(withoutFreshFields(a.text), withoutFreshFields(m.text), what);
  };
  const detectBoth = async (body: unknown, what: string) => {
    const { m, a } = await both('/api/v1/ml/detect_anomaly', { body });
    assert.equal(m.status, 200, `${what}: ${m.text}`);
    assertSameAnswer(m, a, what);
    return m.json;
  };
  const driftBoth = async (body: unknown, what: string) => {
    const key = freshKey();
    const { m, a } = await both('/api/v1/ml/check_drift', { body, headers: { 'x-api-key': key } });
    assert.equal(m.status, 200, `${what}: ${m.text}`);
    assertSameAnswer(m, a, what);
    return m.json;
  };
  const storedReadings = async (sensor: string, limit: number) => {
    const res = await http(`${mono}/api/v1/sensors/readings?sensor_id=${sensor}&limit=${limit}`, { headers: { 'x-api-key': KEYS[0] } });
    assert.equal(res.status, 200, res.text);
    return res.json as Array<{ sensor_id: string; sensor_type: string; value: number; unit: string; timestamp: string; quality: number }>;
  };

  before(async function () {
    s = await startAnomalyStack({ monolith: true, env: { API_KEYS: KEYS.join(',') } });
    mono = s.monolithUrl!;
  });
  after(async function () {
    await s?.close();
  });

  describe('drift scenario: POST /api/v1/simulate/drift-event', function () {
    before(async function () {
      const res = await http(`${mono}/api/v1/simulate/drift-event`, { body: { num_samples: 150, drift_magnitude: 8 } });
      assert.equal(res.status, 200, res.text);
      const small = await http(`${mono}/api/v1/simulate/drift-event`, { body: { sensor_id: 'drift-small' } });
      assert.equal(small.status, 200, small.text);
    });

    const checks: Array<[string, object]> = [
      ['defaults (60 min windows, 30 samples)', { sensor_id: 'demo-sensor-001' }],
      ['30 min windows, 20 samples, p 0.01', { sensor_id: 'demo-sensor-001', window_minutes: 30, min_samples: 20, p_value_threshold: 0.01 }],
      ['75 min windows: more baseline than recent', { sensor_id: 'demo-sensor-001', window_minutes: 75, min_samples: 6 }],
      ['the 50-sample default event: insufficient baseline', { sensor_id: 'drift-small' }],
      ['an unknown sensor', { sensor_id: 'no-such-sensor' }],
    ];
    for (const [name, body] of checks) {
      it(`check_drift answers alike for ${name}`, async function () {
        await driftBoth(body, name);
      });
    }

    it('detects alike on the 20 newest drifted readings, sent with their stored timestamps', async function () {
      const readings = await storedReadings('demo-sensor-001', 20);
      const answer = await detectBoth({ sensor_readings: readings }, 'drift readings');
      assert.equal(answer.total_readings_analyzed, 20);
    });
  });

  describe('anomaly scenario: POST /api/v1/simulate/anomaly-event', function () {
    let readings: Awaited<ReturnType<typeof storedReadings>>;
    before(async function () {
      const res = await http(`${mono}/api/v1/simulate/anomaly-event?num_anomalies=10&anomaly_magnitude=6`, { method: 'POST' });
      assert.equal(res.status, 200, res.text);
      readings = await storedReadings('demo-sensor-002', 100);
      assert.equal(readings.length, 50);
    });

    it('detects alike on all 50 simulated readings with their timestamps (several flagged), and both store the same alert rows', async function () {
      const { m, a } = await both('/api/v1/ml/detect_anomaly', { body: { sensor_readings: readings } });
      assert.equal(m.status, 200, m.text);
      assertSameAnswer(m, a, 'anomaly readings');
      assert.ok(m.json.anomaly_count > 0, 'the simulated anomalies are flagged');
      // In the answer's order (created_at is not monotonic at the microsecond inside one answer).
      const rows = async (answer: { anomalies_detected: Array<{ id: string }> }) => {
        const { rows: found } = await s.sql.query(
          `SELECT id::text, sensor_id, anomaly_type, severity, confidence, description, evidence, recommended_actions, status
             FROM anomaly_alerts WHERE id = ANY($1::uuid[])`,
          [answer.anomalies_detected.map((x) => x.id)],
        );
        return answer.anomalies_detected.map((x) => {
          const { id: _id, ...row } = found.find((r) => r.id === x.id);
          return row;
        });
      };
      const [fromMonolith, fromService] = [await rows(m.json), await rows(a.json)];
      assert.equal(fromMonolith.length, m.json.anomaly_count);
      assert.deepEqual(fromService, fromMonolith);
    });

    it('detects alike on the same readings without timestamps, at sensitivity 0.9, with quality 0.7', async function () {
      const bare = readings.slice(0, 25).map(({ sensor_id, sensor_type, value, unit }) => ({ sensor_id, sensor_type, value, unit, quality: 0.7 }));
      await detectBoth({ sensor_readings: bare, sensitivity: 0.9 }, 'anomaly readings, no timestamps');
    });

    it('checks drift alike on the anomaly sensor with 10-minute windows', async function () {
      await driftBoth({ sensor_id: 'demo-sensor-002', window_minutes: 10, min_samples: 6 }, 'anomaly sensor drift');
    });
  });

  describe('normal scenario: POST /api/v1/simulate/normal-data', function () {
    before(async function () {
      const res = await http(`${mono}/api/v1/simulate/normal-data?num_samples=120&duration_minutes=120`, { method: 'POST' });
      assert.equal(res.status, 200, res.text);
    });

    it('detects alike on the 30 newest normal readings', async function () {
      await detectBoth({ sensor_readings: await storedReadings('demo-sensor-003', 30) }, 'normal readings');
    });

    it('checks drift alike on 60-minute windows (both about 60 samples)', async function () {
      await driftBoth({ sensor_id: 'demo-sensor-003', min_samples: 30 }, 'normal drift');
    });
  });

  describe('random readings (seed 20250821)', function () {
    const rng = createRandom(20250821);
    const sensors = ['demo-sensor-001', 'demo-sensor-002', 'demo-sensor-003', 'drift-small', 'rand-unknown'];
    const types = ['temperature', 'vibration', 'pressure', 'humidity'];

    for (let i = 0; i < 20; i++) {
      const n = 1 + rng.int(8);
      const readings = Array.from({ length: n }, () => {
        const r: Record<string, unknown> = {
          sensor_id: rng.choice(sensors),
          value: Math.round(rng.between(-10, 110) * 1000) / 1000,
          sensor_type: rng.choice(types),
          unit: 'u',
        };
        if (rng.uniform() < 0.5) r.timestamp = new Date(Date.now() - rng.int(180) * 60_000 - rng.int(60_000)).toISOString();
        if (rng.uniform() < 0.5) r.quality = Math.round(rng.uniform() * 100) / 100;
        return r;
      });
      const body: Record<string, unknown> = { sensor_readings: readings };
      if (rng.uniform() < 0.5) body.sensitivity = Math.round(rng.uniform() * 100) / 100;
      if (rng.uniform() < 0.2) body.model_version = '1';
      it(`detect_anomaly request #${i + 1} (${n} readings${body.sensitivity === undefined ? '' : `, sensitivity ${body.sensitivity}`}) answers alike`, async function () {
        await detectBoth(body, `random detect #${i + 1}`);
      });
    }

    for (let i = 0; i < 8; i++) {
      const body = {
        sensor_id: rng.choice(sensors),
        window_minutes: 1 + rng.int(180),
        min_samples: 6 + rng.int(40),
        p_value_threshold: Math.round((0.001 + rng.uniform() * 0.3) * 1000) / 1000,
      };
      it(`check_drift request #${i + 1} (${body.sensor_id}, ${body.window_minutes} min, ${body.min_samples} samples) answers alike`, async function () {
        await driftBoth(body, `random drift #${i + 1}`);
      });
    }
  });

  describe('malformed requests give byte-identical errors', function () {
    const reading = { sensor_id: 's', value: 1, sensor_type: 'temperature', unit: 'C' };
    const cases: Array<[string, string, unknown, Record<string, string>?]> = [
      ['detect_anomaly', 'an empty object', {}],
      ['detect_anomaly', 'sensor_readings as a string', { sensor_readings: 'x' }],
      ['detect_anomaly', 'one empty reading', { sensor_readings: [{}] }],
      ['detect_anomaly', 'three empty readings (+N more issues)', { sensor_readings: [{}, {}, {}] }],
      ['detect_anomaly', 'sensitivity 2', { sensor_readings: [reading], sensitivity: 2 }],
      ['detect_anomaly', 'sensor_type laser', { sensor_readings: [{ ...reading, sensor_type: 'laser' }] }],
      ['detect_anomaly', 'a bad timestamp and quality 3', { sensor_readings: [{ ...reading, timestamp: '2025-02-30T00:00:00', quality: 3 }] }],
      ['detect_anomaly', 'correlation_id "nope"', { sensor_readings: [{ ...reading, correlation_id: 'nope' }] }],
      ['detect_anomaly', 'an unknown model (404)', { sensor_readings: [reading], model_name: 'nope' }],
      ['detect_anomaly', 'an unknown version (404)', { sensor_readings: [reading], model_version: '99' }],
      ['detect_anomaly', 'truncated JSON', '{"sensor_readings": [', { 'content-type': 'application/json' }],
      ['detect_anomaly', 'a text/plain body', 'hello', { 'content-type': 'text/plain' }],
      ['detect_anomaly', 'a form body', 'sensitivity=2', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['detect_anomaly', 'a JSON array body', [reading]],
      ['detect_anomaly', 'an unknown API key', { sensor_readings: [reading] }, { 'x-api-key': 'wrong' }],
      ['check_drift', 'an empty object', {}],
      ['check_drift', 'sensor_id 5', { sensor_id: 5 }],
      ['check_drift', 'window_minutes 0 and p_value_threshold 1', { sensor_id: 's', window_minutes: 0, p_value_threshold: 1 }],
      ['check_drift', 'window_minutes 1441, min_samples 5', { sensor_id: 's', window_minutes: 1441, min_samples: 5 }],
      ['check_drift', 'window_minutes 1.5 and "abc" min_samples', { sensor_id: 's', window_minutes: 1.5, min_samples: 'abc' }],
      ['check_drift', 'min_samples 10001, p 0', { sensor_id: 's', min_samples: 10001, p_value_threshold: 0 }],
      ['check_drift', 'truncated JSON', '{"sensor_id":', { 'content-type': 'application/json' }],
      ['check_drift', 'JSON sent without a Content-Type (parsed as JSON, window_minutes 0 refused)', '{"sensor_id":"s","window_minutes":0}'],
      ['check_drift', 'an unknown API key', { sensor_id: 's' }, { 'x-api-key': 'wrong' }],
    ];
    for (const [route, name, body, headers] of cases) {
      it(`${route} with ${name}`, async function () {
        const { m, a } = await both(`/api/v1/ml/${route}`, { body, headers });
        assert.ok(m.status >= 400, `monolith answered ${m.status}`);
        assert.equal(a.status, m.status, a.text);
        assert.equal(a.headers['content-type'], m.headers['content-type']);
        assert.equal(a.text, m.text);
      });
    }
  });

  describe('one drift budget through Redis', function () {
    it('6 check_drift calls to the monolith and 5 to the service with key pk-shared: the 11th is 429, and so is a 12th at the monolith', async function () {
      await awaitRoomInMinute();
      const key = KEYS[KEYS.length - 1];
      const call = (base: string) => http(`${base}/api/v1/ml/check_drift`, { body: { sensor_id: 'demo-sensor-003' }, headers: { 'x-api-key': key } });
      for (let i = 0; i < 6; i++) assert.equal((await call(mono)).status, 200, `monolith call ${i + 1}`);
      for (let i = 0; i < 4; i++) assert.equal((await call(s.url)).status, 200, `service call ${i + 1}`);
      const eleventh = await call(s.url);
      assert.equal(eleventh.status, 429);
      assert.equal(eleventh.text, '{"detail":"Rate limit exceeded: 10 per 1 minute"}');
      assert.ok(Number(eleventh.headers['retry-after']) >= 1, 'Retry-After is sent');
      const twelfth = await call(mono);
      assert.equal(twelfth.status, 429);
      assert.equal(twelfth.text, eleventh.text);
    });
  });
});
