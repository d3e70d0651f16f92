import assert from 'node:assert/strict';
import { compareExchange, type Observation } from '../src/compare/comparator.js';
import { compileCompareRules } from '../src/compare/compare-rules.js';
import { diffJson, withinTolerance } from '../src/compare/json-diff.js';
import { mlOutcome } from '../src/compare/ml-outcome.js';
import { NoiseCalibrator, roundUp } from '../src/compare/noise-calibrator.js';
import { formatPath, generalizePath, parsePathPattern, PathRules } from '../src/compare/path-rules.js';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

function obs(body: unknown, status = 200, extra: Partial<Observation> = {}): Observation {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, error: null, latencyMs: 5, headers: JSON_HEADERS, body: Buffer.from(text), truncated: false, ...extra };
}

function predict(label: number, confidence: number, overrides: Record<string, unknown> = {}) {
  return {
    prediction: [label],
    confidence,
    model_info: { model_name: 'ai4i_classifier', model_version: '2', loaded_from: 'MLflow Model Registry', feature_adaptation: 'Adapted 5 input features' },
    timestamp: `2025-08-21T10:00:00.${Math.floor(Math.random() * 1e6)}`,
    request_id: crypto.randomUUID(),
    shap_values: { Air_temperature_K: 0.12, Torque_Nm: -0.03 },
    feature_importance: { Air_temperature_K: 0.12, Torque_Nm: -0.03 },
    ...overrides,
  };
}

function alert(sensor: string, value: number, confidence: number) {
  return {
    id: crypto.randomUUID(),
    sensor_id: sensor,
    anomaly_type: 'isolation_forest_anomaly',
    severity: 4,
    confidence,
    description: 'Isolation Forest detected anomaly (score=0.734, sensitivity=0.50)',
    evidence: { sensor_value: value, sensor_unit: 'C', sensor_type: 'temperature', quality_score: 1, feature_vector: { value_lag_1: 20.5, value_scaled: 0.91 } },
    recommended_actions: ['Investigate sensor reading'],
    created_at: `2025-08-21T10:00:0${Math.floor(Math.random() * 9)}.123456`,
    status: 'open',
  };
}

function anomaly(alerts: unknown[]) {
  return {
    anomalies_detected: alerts,
    total_readings_analyzed: 3,
    anomaly_count: alerts.length,
    model_info: { model_name: 'anomaly_detector_refined_v2', model_version: '1', sensitivity: '0.500', loaded_from: 'MLflow Model Registry' },
    analysis_timestamp: `2025-08-21T10:00:00.${Math.floor(Math.random() * 1e6)}`,
    request_id: crypto.randomUUID(),
  };
}

function drift(detected: boolean, p: number) {
  return {
    sensor_id: 's1',
    recent_count: 40,
    baseline_count: 40,
    window_minutes: 60,
    ks_statistic: 0.45,
    p_value: p,
    p_value_threshold: 0.05,
    drift_detected: detected,
    insufficient_data: false,
    request_id: crypto.randomUUID(),
    evaluated_at: `2025-08-21T10:00:00.${Math.floor(Math.random() * 1e6)}`,
    notes: null,
  };
}

describe('path patterns', function () {
  const cases: Array<[string, string]> = [
    ['request_id', '[{"t":"key","key":"request_id"}]'],
    ['anomalies_detected[*].id', '[{"t":"key","key":"anomalies_detected"},{"t":"anyIndex"},{"t":"key","key":"id"}]'],
    ['shap_values.*', '[{"t":"key","key":"shap_values"},{"t":"anyKey"}]'],
    ['**.timestamp', '[{"t":"globstar"},{"t":"key","key":"timestamp"}]'],
    ['["odd.key"][0]', '[{"t":"key","key":"odd.key"},{"t":"index","index":0}]'],
  ];
  for (const [pattern, parsed] of cases) {
    it(`parses ${pattern}`, function () {
      assert.equal(JSON.stringify(parsePathPattern(pattern)), parsed);
    });
  }
  for (const bad of ['', 'a..b', 'a.', '[x]', 'a[1', '.a', 'a b']) {
    it(`refuses the pattern ${JSON.stringify(bad)} with a message naming it`, function () {
      assert.throws(() => parsePathPattern(bad), (err: Error) => err.message.includes(JSON.stringify(bad)));
    });
  }
  it('formats a[3]["x.y"].b and generalises it to a[*]["x.y"].b', function () {
    assert.equal(formatPath(['a', 3, 'x.y', 'b']), 'a[3]["x.y"].b');
    assert.equal(generalizePath(['a', 3, 'x.y', 'b']), 'a[*]["x.y"].b');
    assert.equal(formatPath([]), '$');
  });

  const rules = new PathRules({
    ignore: ['request_id', 'items[*].id', '**.created_at'],
    tolerance: [
      { path: 'scores.*', absolute: 0.1 },
      { path: 'scores.exact', absolute: 0 },
    ],
    unordered: [{ path: 'tags' }],
  });
  const matchCases: Array<[Array<string | number>, string]> = [
    [['request_id'], 'ignore'],
    [['nested', 'request_id'], 'none'],
    [['items', 7, 'id'], 'ignore'],
    [['items', 7, 'name'], 'none'],
    [['created_at'], 'ignore'],
    [['a', 2, 'b', 'created_at'], 'ignore'],
    [['scores', 'x'], 'tolerance 0.1'],
    [['scores', 'exact'], 'tolerance 0'],
    [['tags'], 'unordered'],
  ];
  for (const [segments, expected] of matchCases) {
    it(`applies "${expected}" at ${formatPath(segments)}`, function () {
      const s = rules.at(segments);
      const got = s.ignore ? 'ignore' : s.tolerance ? `tolerance ${s.tolerance.absolute}` : s.unordered ? 'unordered' : 'none';
      assert.equal(got, expected);
    });
  }
});

describe('JSON structural diff', function () {
  const none = new PathRules();
  const cases: Array<{ name: string; a: unknown; b: unknown; rules?: PathRules; diffs: string[] }> = [
    { name: 'equal objects with keys in another order', a: { x: 1, y: { p: [1, 2], q: 'z' } }, b: { y: { q: 'z', p: [1, 2] }, x: 1 }, diffs: [] },
    { name: 'a missing key', a: { x: 1, y: 2 }, b: { x: 1 }, diffs: ['missing y'] },
    { name: 'an extra key', a: { x: 1 }, b: { x: 1, z: true }, diffs: ['extra z'] },
    { name: 'a type change', a: { x: 1 }, b: { x: '1' }, diffs: ['type x'] },
    { name: 'null against a value', a: { x: null }, b: { x: 0 }, diffs: ['type x'] },
    { name: 'a value change deep inside an array', a: { l: [{ v: 1 }, { v: 2 }] }, b: { l: [{ v: 1 }, { v: 3 }] }, diffs: ['value l[1].v'] },
    { name: 'an array length change (common prefix still compared)', a: { l: [1, 2, 3] }, b: { l: [1, 5] }, diffs: ['length l', 'value l[1]'] },
    { name: 'array order matters by default', a: [1, 2], b: [2, 1], diffs: ['value [0]', 'value [1]'] },
    { name: 'array order ignored under an unordered rule', a: { t: ['a', 'b', { k: 1 }] }, b: { t: [{ k: 1 }, 'b', 'a'] }, rules: new PathRules({ unordered: [{ path: 't' }] }), diffs: [] },
    {
      name: 'unordered by key pairs elements and reports the changed field',
      a: { l: [{ id: 'a', v: 1 }, { id: 'b', v: 2 }] },
      b: { l: [{ id: 'b', v: 2 }, { id: 'a', v: 9 }] },
      rules: new PathRules({ unordered: [{ path: 'l', key: ['id'] }] }),
      diffs: ['value l[0].v'],
    },
    {
      name: 'unordered by key reports unmatched elements as missing and extra',
      a: { l: [{ id: 'a' }, { id: 'b' }] },
      b: { l: [{ id: 'b' }, { id: 'c' }] },
      rules: new PathRules({ unordered: [{ path: 'l', key: ['id'] }] }),
      diffs: ['missing l[0]', 'extra l[1]'],
    },
    { name: 'float noise 1e-9 within an absolute tolerance of 1e-6', a: { c: 0.93 }, b: { c: 0.930000001 }, rules: new PathRules({ tolerance: [{ path: 'c', absolute: 1e-6 }] }), diffs: [] },
    { name: 'a difference of 0.01 beyond an absolute tolerance of 1e-6', a: { c: 0.93 }, b: { c: 0.94 }, rules: new PathRules({ tolerance: [{ path: 'c', absolute: 1e-6 }] }), diffs: ['value c'] },
    { name: '1000 vs 1000.5 within a relative tolerance of 1e-3', a: { c: 1000 }, b: { c: 1000.5 }, rules: new PathRules({ tolerance: [{ path: 'c', relative: 1e-3 }] }), diffs: [] },
    { name: 'ignored paths, missing or changed', a: { request_id: 'a', x: 1 }, b: { x: 1, ts: 'b' }, rules: new PathRules({ ignore: ['request_id', 'ts'] }), diffs: [] },
    { name: 'ignore with [*] inside arrays', a: { l: [{ id: 'a', v: 1 }] }, b: { l: [{ id: 'b', v: 1 }] }, rules: new PathRules({ ignore: ['l[*].id'] }), diffs: [] },
    { name: 'scalars at the root', a: 'x', b: 'y', diffs: ['value $'] },
  ];
  for (const c of cases) {
    it(`reports ${c.diffs.length ? c.diffs.join(', ') : 'nothing'} for ${c.name}`, function () {
      const out = diffJson(c.a, c.b, c.rules ?? none);
      assert.equal(out.compared, true);
      if (!out.compared) return;
      assert.deepEqual(
        out.diffs.map((d) => `${d.kind} ${d.path}`),
        c.diffs,
      );
      assert.equal(out.diffCount, c.diffs.length);
    });
  }

  it('stops at depth 64 with "too-deep" on a 100,000-level nested array instead of overflowing the stack', function () {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000));
    const out = diffJson(deep, deep, none);
    assert.deepEqual({ compared: out.compared, reason: out.compared ? null : out.reason }, { compared: false, reason: 'too-deep' });
  });

  it('stops with "too-much-work" on a 300,000-element array within a 100,000-node budget', function () {
    const big = Array.from({ length: 300_000 }, (_, i) => i);
    const started = process.hrtime.bigint();
    const out = diffJson(big, big, none);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.equal(out.compared, false);
    assert.equal(out.compared ? null : out.reason, 'too-much-work');
    assert.ok(out.nodes <= 100_001, `visited ${out.nodes} nodes`);
    console.log(`        (stopped after ${out.nodes} nodes in ${ms.toFixed(1)} ms)`);
  });

  it('keeps the first 50 diffs of 500 and counts all 500', function () {
    const a = Array.from({ length: 500 }, (_, i) => i);
    const b = a.map((x) => x + 1);
    const out = diffJson(a, b, none);
    assert.ok(out.compared);
    if (out.compared) {
      assert.equal(out.diffs.length, 50);
      assert.equal(out.diffCount, 500);
    }
  });

  const tol: Array<[number, number, number, number, boolean]> = [
    [1, 1, 0, 0, true],
    [1, 1.0000001, 1e-6, 0, true],
    [1, 1.01, 1e-6, 0, false],
    [100, 101, 0, 0.01, true],
    [100, 102, 0, 0.01, false],
    [0, 1e-12, 0, 0.5, false],
  ];
  for (const [a, b, abs, rel, ok] of tol) {
    it(`treats ${a} and ${b} as ${ok ? 'equal' : 'different'} with absolute ${abs}, relative ${rel}`, function () {
      assert.equal(withinTolerance(a, b, { absolute: abs, relative: rel }), ok);
    });
  }
});

describe('comparator (one pair, ML route defaults)', function () {
  const predictRules = compileCompareRules('ml-predict');
  const anomalyRules = compileCompareRules('ml-anomaly');
  const driftRules = compileCompareRules('ml-drift');

  it('matches two predictions of the same model with fresh request_id and timestamp and 1e-9 float noise', function () {
    const a = predict(1, 0.93);
    const b = predict(1, 0.930000001, { shap_values: { Air_temperature_K: 0.1200000001, Torque_Nm: -0.03 } });
    const r = compareExchange(obs(a), obs(b), predictRules);
    assert.equal(r.outcome, 'match', JSON.stringify(r.diffs));
    assert.equal(r.ml?.labelAgree, true);
    assert.ok((r.ml?.confidenceDelta ?? 1) < 1e-8);
    assert.equal(r.ml?.controlVersion, '2');
    assert.ok(Object.isFrozen(r) && Object.isFrozen(r.diffs));
  });

  it('reports prediction[0] 1 -> 0 and label disagreement for a flipped label', function () {
    const r = compareExchange(obs(predict(1, 0.93)), obs(predict(0, 0.93)), predictRules);
    assert.equal(r.outcome, 'mismatch');
    assert.deepEqual(
      r.diffs.map((d) => [d.path, d.control, d.candidate]),
      [['prediction[0]', 1, 0]],
    );
    assert.equal(r.ml?.labelAgree, false);
  });

  it('reports |Δ confidence| 0.05 as a value diff at confidence', function () {
    const r = compareExchange(obs(predict(1, 0.93)), obs(predict(1, 0.88)), predictRules);
    assert.equal(r.outcome, 'mismatch');
    assert.equal(r.diffs[0].path, 'confidence');
    assert.ok(Math.abs((r.ml?.confidenceDelta ?? 0) - 0.05) < 1e-12);
  });

  it('matches anomaly answers whose alert ids and created_at differ, and agrees on the flagged set', function () {
    const r = compareExchange(obs(anomaly([alert('s1', 99.5, 0.73)])), obs(anomaly([alert('s1', 99.5, 0.7300000004)])), anomalyRules);
    assert.equal(r.outcome, 'match', JSON.stringify(r.diffs));
    assert.equal(r.ml?.flaggedAgree, true);
  });

  it('disagrees on the flagged set when the candidate flags a different reading', function () {
    const r = compareExchange(obs(anomaly([alert('s1', 99.5, 0.73)])), obs(anomaly([alert('s1', 42, 0.73)])), anomalyRules);
    assert.equal(r.outcome, 'mismatch');
    assert.equal(r.ml?.flaggedAgree, false);
  });

  it('matches drift answers with fresh request_id/evaluated_at and p-values 1e-12 apart; disagrees on a flipped verdict', function () {
    assert.equal(compareExchange(obs(drift(true, 0.01)), obs(drift(true, 0.010000000001)), driftRules).outcome, 'match');
    const flipped = compareExchange(obs(drift(true, 0.01)), obs(drift(false, 0.2)), driftRules);
    assert.equal(flipped.outcome, 'mismatch');
    assert.equal(flipped.ml?.driftAgree, false);
  });

  it('a route without defaults compares request_id exactly', function () {
    const r = compareExchange(obs({ request_id: 'a' }), obs({ request_id: 'b' }), compileCompareRules('other'));
    assert.equal(r.outcome, 'mismatch');
  });

  const statusCases: Array<{ name: string; a: Observation; b: Observation; outcome: string; reason?: string; first?: string }> = [
    { name: '200 vs 500', a: obs({ ok: 1 }), b: obs({ detail: 'x' }, 500), outcome: 'mismatch', first: '$status' },
    { name: '200 vs a candidate timeout', a: obs({}), b: { ...obs({}), status: null, error: 'timeout', body: Buffer.alloc(0) }, outcome: 'mismatch', first: '$status' },
    { name: 'both sides without an answer', a: { ...obs({}), status: null, error: 'reset' }, b: { ...obs({}), status: null, error: 'timeout' }, outcome: 'not-compared', reason: 'both-failed' },
    { name: 'a truncated body with equal statuses', a: obs({}), b: obs({}, 200, { truncated: true }), outcome: 'not-compared', reason: 'body-too-large' },
    { name: 'a truncated body with different statuses', a: obs({}), b: obs({}, 404, { truncated: true }), outcome: 'mismatch', first: '$status' },
    { name: 'different content-type headers', a: obs({}), b: obs({}, 200, { headers: { 'content-type': 'text/html' } }), outcome: 'mismatch', first: '$headers.content-type' },
    { name: 'equal non-JSON bodies', a: obs('hello', 200, { headers: { 'content-type': 'text/plain' } }), b: obs('hello', 200, { headers: { 'content-type': 'text/plain' } }), outcome: 'match' },
    { name: 'different non-JSON bodies', a: obs('hello', 200, { headers: { 'content-type': 'text/plain' } }), b: obs('hullo', 200, { headers: { 'content-type': 'text/plain' } }), outcome: 'mismatch', first: '$body' },
    { name: 'invalid JSON on one side', a: obs('{"a":1}'), b: obs('{"a":'), outcome: 'mismatch', first: '$body' },
  ];
  for (const c of statusCases) {
    it(`says ${c.outcome}${c.reason ? ` (${c.reason})` : ''} for ${c.name}`, function () {
      const r = compareExchange(c.a, c.b, compileCompareRules('other'));
      assert.equal(r.outcome, c.outcome);
      if (c.reason) assert.equal(r.reason, c.reason);
      if (c.first) assert.equal(r.diffs[0].path, c.first);
    });
  }

  it('says not-compared (too-deep) for a 10,000-level nested JSON answer', function () {
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const r = compareExchange(obs(deep), obs(deep), compileCompareRules('other'));
    assert.deepEqual([r.outcome, r.reason], ['not-compared', 'too-deep']);
  });

  it('refuses a bad rule pattern at compile time with the route and pattern named', function () {
    assert.throws(() => compileCompareRules('ml-predict', { ignore: ['a..b'] }), /"a\.\.b"/);
  });
});

describe('ML outcomes', function () {
  it('reads label, confidence delta and versions from predictions', function () {
    const o = mlOutcome('predict', predict(1, 0.9), predict(1, 0.8, { model_info: { model_version: '3' } }));
    assert.deepEqual([o.labelAgree, Number(o.confidenceDelta?.toFixed(6)), o.controlVersion, o.candidateVersion], [true, 0.1, '2', '3']);
  });
  it('compares flagged sets by sensor_id and value, whatever the order', function () {
    const o = mlOutcome('anomaly', anomaly([alert('a', 1, 0.5), alert('b', 2, 0.5)]), anomaly([alert('b', 2, 0.6), alert('a', 1, 0.6)]));
    assert.deepEqual([o.flaggedAgree, o.flaggedControl, o.flaggedCandidate], [true, 2, 2]);
  });
  it('gives null agreement when a body lacks the fields', function () {
    const o = mlOutcome('drift', { drift_detected: true }, { detail: 'x' });
    assert.equal(o.driftAgree, null);
  });
});

describe('noise calibration', function () {
  it('learns request_id as ignore, confidence jitter as a tolerance of its max |Δ|, and marks covered paths', function () {
    const calibrator = new NoiseCalibrator();
    const raw = new PathRules();
    for (let i = 0; i < 20; i++) {
      const a = predict(1, 0.9);
      const b = predict(1, i % 4 === 0 ? 0.9 + (i + 1) * 1e-9 : 0.9);
      const out = diffJson(a, b, raw);
      assert.ok(out.compared);
      if (out.compared) calibrator.observe('ml-predict', out.diffs);
    }
    const report = calibrator.report('ml-predict', compileCompareRules('ml-predict').paths);
    assert.equal(report.samples, 20);
    const byPath = new Map(report.paths.map((p) => [p.path, p]));
    assert.deepEqual(byPath.get('request_id')?.suggestion, { ignore: 'request_id' });
    assert.equal(byPath.get('request_id')?.rate, 1);
    assert.equal(byPath.get('request_id')?.covered, true);
    const conf = byPath.get('confidence');
    assert.ok(conf, 'confidence was noisy in 5 of 20 samples');
    assert.equal(conf.count, 5);
    assert.ok(conf.observedDelta && conf.observedDelta.max > 1.6e-8 && conf.observedDelta.max < 1.8e-8);
    assert.deepEqual(conf.suggestion, { tolerance: { path: 'confidence', absolute: roundUp(conf.observedDelta.max) } });
    assert.equal(conf.covered, true, 'the default 1e-6 tolerance covers 1.7e-8');
    assert.equal(byPath.has('prediction[*]'), false);
  });

  it('rounds 1.234e-7 up to 1.3e-7 and 0.0042 to 0.0042', function () {
    assert.equal(roundUp(1.234e-7), 1.3e-7);
    assert.equal(roundUp(0.0042), 0.0042);
  });

  it('tracks at most 3 distinct paths and counts the rest as untracked', function () {
    const calibrator = new NoiseCalibrator(3);
    const out = diffJson({ a: 1, b: 1, c: 1, d: 1, e: 1 }, { a: 2, b: 2, c: 2, d: 2, e: 2 }, new PathRules());
    if (out.compared) calibrator.observe('r', out.diffs);
    const report = calibrator.report('r');
    assert.equal(report.paths.length, 3);
    assert.equal(report.untrackedPaths, 2);
  });
});
