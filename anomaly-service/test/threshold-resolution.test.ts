import assert from 'node:assert/strict';
import { bodyHas, LEGACY_DEFAULTS, mergeRunAnswers, sensitivityRuns } from '../src/threshold-resolution.js';

describe('threshold resolution', function () {
  it('reads the legacy defaults from the shared schemas: sensitivity 0.5, p_value_threshold 0.05', function () {
    assert.deepEqual({ ...LEGACY_DEFAULTS }, { sensitivity: 0.5, p_value_threshold: 0.05 });
  });

  const presence: Array<[string, unknown, string, boolean]> = [
    ['a body giving sensitivity 0.7', { sensitivity: 0.7 }, 'sensitivity', true],
    ['a body giving sensitivity null (refused later by validation)', { sensitivity: null }, 'sensitivity', true],
    ['a body without the field', { sensor_readings: [] }, 'sensitivity', false],
    ['a missing body', undefined, 'sensitivity', false],
    ['an array body', [{ sensitivity: 1 }], 'sensitivity', false],
    ['a string body', 'sensitivity', 'sensitivity', false],
    ['a field only on the prototype', Object.create({ p_value_threshold: 0.1 }), 'p_value_threshold', false],
  ];
  for (const [name, body, field, expected] of presence) {
    it(`bodyHas says ${expected} for ${name}`, function () {
      assert.equal(bodyHas(body, field), expected);
    });
  }

  const runCases: Array<[string, string[], Record<string, number | null>, Array<[number, number, number]>]> = [
    ['no readings', [], { a: 0.8 }, []],
    ['one sensor without override', ['a', 'a'], {}, [[0, 2, 0.5]]],
    ['one sensor with override 0.8', ['a', 'a', 'a'], { a: 0.8 }, [[0, 3, 0.8]]],
    ['a null override (cleared) falls back to 0.5', ['a'], { a: null }, [[0, 1, 0.5]]],
    [
      'a,a,b,a with a=0.8 and b none: three runs in reading order',
      ['a', 'a', 'b', 'a'],
      { a: 0.8 },
      [
        [0, 2, 0.8],
        [2, 3, 0.5],
        [3, 4, 0.8],
      ],
    ],
    ['a,b with equal overrides 0.3: one run', ['a', 'b'], { a: 0.3, b: 0.3 }, [[0, 2, 0.3]]],
    ['b without override next to a at the default value 0.5: one run', ['a', 'b'], { a: 0.5 }, [[0, 2, 0.5]]],
  ];
  for (const [name, sensors, overrides, expected] of runCases) {
    it(`sensitivityRuns cuts ${name}`, function () {
      const runs = sensitivityRuns(
        sensors.map((sensor_id) => ({ sensor_id })),
        new Map(Object.entries(overrides)),
        0.5,
      );
      assert.deepEqual(
        runs.map((r) => [r.start, r.end, r.sensitivity]),
        expected,
      );
    });
  }

  it('mergeRunAnswers keeps the first answer whole when there is one run', function () {
    const only = { anomalies_detected: ['x'], total_readings_analyzed: 3, anomaly_count: 1, request_id: 'r1' };
    assert.equal(mergeRunAnswers([only]), only);
  });

  it('mergeRunAnswers of runs with 2, 0 and 1 alerts over 3+1+2 readings gives 3 alerts in order over 6 readings with the first run metadata', function () {
    const merged = mergeRunAnswers([
      { anomalies_detected: ['a1', 'a2'], total_readings_analyzed: 3, anomaly_count: 2, request_id: 'r1' },
      { anomalies_detected: [], total_readings_analyzed: 1, anomaly_count: 0, request_id: 'r2' },
      { anomalies_detected: ['a3'], total_readings_analyzed: 2, anomaly_count: 1, request_id: 'r3' },
    ]);
    assert.deepEqual(merged, { anomalies_detected: ['a1', 'a2', 'a3'], total_readings_analyzed: 6, anomaly_count: 3, request_id: 'r1' });
    assert.deepEqual(Object.keys(merged), ['anomalies_detected', 'total_readings_analyzed', 'anomaly_count', 'request_id']);
  });

  it('mergeRunAnswers refuses an empty list', function () {
    assert.throws(() => mergeRunAnswers([]), /at least one answer/);
  });
});
