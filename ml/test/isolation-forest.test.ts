import assert from 'node:assert/strict';
import { anomalyFeatures } from '../src/anomaly/anomaly-features.js';
import { averagePathLength, compileIsolationForest, percentileLinear, trainIsolationForest } from '../src/anomaly/isolation-forest.js';
import type { AnomalyModel } from '../src/contract.js';
import { openRegistry } from '../src/registry/model-registry.js';
import { defaultModelsDir } from '../src/registry/models-dir.js';
import { createRandom } from '../src/random/prng.js';
import { simulateAnomalyEvent, simulateNormalData } from '../src/simulation/sensor-events.js';
import { seriesAnomalyFeatures } from '../src/simulation/sensor-series.js';

describe('isolation forest', () => {
  const cLengths: [number, number][] = [
    [1, 0],
    [2, 1],
    [3, 2 * (Math.log(2) + 0.5772156649015329) - 4 / 3],
    [256, 10.2447709201],
  ];
  for (const [n, c] of cLengths) it(`c(${n}) = ${c.toFixed(6)}`, () => assert.ok(Math.abs(averagePathLength(n) - c) < 1e-9));

  const percentiles: [number[], number, number][] = [
    [[1, 2, 3, 4], 50, 2.5],
    [[1, 2, 3, 4, 5], 95, 4.8],
    [[10], 95, 10],
    [[3, 1, 2], 0, 1],
  ];
  for (const [xs, q, p] of percentiles) it(`percentile(${JSON.stringify(xs)}, ${q}) = ${p} (numpy linear)`, () => assert.ok(Math.abs(percentileLinear(xs, q) - p) < 1e-12));

  it('flags about 5 % of 2,000 training points (contamination 0.05) and scores a far point (8, 8) near 0.7', () => {
    const rng = createRandom(3);
    const x = new Float32Array(Array.from({ length: 4000 }, () => rng.normal(0, 1)));
    const art = trainIsolationForest({ x, featureNames: ['a', 'b'] }, { seed: 42 });
    const f = compileIsolationForest(art);
    let flagged = 0;
    for (let i = 0; i < 2000; i++) if (f.isOutlier(x.subarray(2 * i, 2 * i + 2))) flagged++;
    assert.ok(Math.abs(flagged / 2000 - 0.05) < 0.01, `flagged ${flagged}`);
    assert.ok(f.score([8, 8]) > 0.65, `score ${f.score([8, 8])}`);
    assert.ok(f.score([0, 0]) < 0.5);
    assert.equal(art.max_samples, 256);
    assert.equal(art.trees.length, 100);
    assert.deepEqual(trainIsolationForest({ x, featureNames: ['a', 'b'] }, { seed: 42 }), art, 'same seed, same forest');
  });

  describe('the committed anomaly_detector_refined_v2 on the simulators', () => {
    let model: AnomalyModel;
    before(async () => {
      model = await openRegistry(defaultModelsDir()).loadAnomalyModel('anomaly_detector_refined_v2', 'auto');
    });

    it('flags ≥ 80 % of the anomaly event’s 10 anomalous readings (seed 123), each scored with the readings before it', () => {
      const event = simulateAnomalyEvent({}, new Date('2025-08-21T10:00:00Z'));
      const features = seriesAnomalyFeatures(event);
      const anomalous = features.filter((_, i) => event[i].sensor_metadata.is_anomaly === true);
      assert.equal(anomalous.length, 10);
      const flagged = anomalous.filter((v) => model.isOutlier(v)).length;
      assert.ok(flagged >= 8, `flagged ${flagged} of 10`);
    });

    for (const hour of [0, 6, 12, 18]) {
      it(`flags ≤ 10 % of the normal-data simulator’s 100 readings ending at ${String(hour).padStart(2, '0')}:30 UTC`, () => {
        const readings = simulateNormalData({}, new Date(Date.UTC(2025, 7, 21, hour, 30)));
        const flagged = seriesAnomalyFeatures(readings).filter((v) => model.isOutlier(v)).length;
        assert.ok(flagged <= 10, `flagged ${flagged} of 100`);
      });
    }
  });
});

describe('detect_anomaly feature builder', () => {
  const t = (m: number) => new Date(Date.UTC(2025, 0, 1, 0, m));
  const history = [35, 34, 33, 32, 31, 30].map((value, i) => ({ value, timestamp: t(10 - i) })); // newest first, minutes 10..5
  const cases: [string, Parameters<typeof anomalyFeatures>[0], Parameters<typeof anomalyFeatures>[1], number[]][] = [
    ['no history: every lag is the value', { value: 20, quality: 0.9 }, [], [20, 20, 20, 20, 20, (20 - 12.816) / (83.193 - 12.816), 0.9]],
    ['two readings: lags 3..5 repeat the oldest', { value: 40 }, [{ value: 41 }, { value: 39 }], [41, 39, 39, 39, 39, (40 - 12.816) / (83.193 - 12.816), 1]],
    ['timestamp 00:08 keeps only readings strictly before it (32, 31, 30)', { value: 50, timestamp: t(8) }, history, [32, 31, 30, 30, 30, (50 - 12.816) / (83.193 - 12.816), 1]],
    ['no timestamp on the reading keeps all stored readings', { value: 50 }, history, [35, 34, 33, 32, 31, (50 - 12.816) / (83.193 - 12.816), 1]],
    ['a value below 12.816 widens the range: value_scaled = 0', { value: 5 }, [{ value: 25 }], [25, 25, 25, 25, 25, 0, 1]],
    ['a lag above 83.193 widens the range', { value: 50 }, [{ value: 100 }], [100, 100, 100, 100, 100, (50 - 12.816) / (100 - 12.816), 1]],
    ['all stored readings after the timestamp: falls back to [value]', { value: 22, timestamp: t(0) }, history, [22, 22, 22, 22, 22, (22 - 12.816) / (83.193 - 12.816), 1]],
  ];
  for (const [name, reading, hist, expected] of cases) {
    it(name, () => {
      const f = anomalyFeatures(reading, hist);
      expected.forEach((e, i) => assert.ok(Math.abs(f.vector[i] - e) < 1e-12, `feature ${i}: ${f.vector[i]} vs ${e}`));
      assert.equal(f.named.value_scaled, f.vector[5]);
    });
  }

  it('uses only the first 12 of 20 stored readings', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ value: i < 12 ? 30 : 99 }));
    assert.deepEqual(anomalyFeatures({ value: 30 }, many).vector.slice(0, 5), [30, 30, 30, 30, 30]);
    const oldest = Array.from({ length: 13 }, (_, i) => ({ value: i }));
    assert.equal(anomalyFeatures({ value: 3 }, oldest.slice(0, 3)).named.value_lag_5, 2);
  });
});
