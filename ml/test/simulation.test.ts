import assert from 'node:assert/strict';
import { generateAi4i } from '../src/simulation/ai4i.js';
import { simulateAnomalyEvent, simulateDriftEvent, simulateNormalData } from '../src/simulation/sensor-events.js';
import { generateSensorFleet } from '../src/simulation/sensor-series.js';

const NOW = new Date('2025-08-21T10:00:00.000Z');

describe('sensor event simulators', () => {
  const simulators = [
    ['drift-event', () => simulateDriftEvent({}, NOW), 50],
    ['anomaly-event', () => simulateAnomalyEvent({}, NOW), 50],
    ['normal-data', () => simulateNormalData({}, NOW), 100],
  ] as const;
  for (const [name, run, count] of simulators) {
    it(`${name} with default parameters gives the same ${count} readings on every call`, () => {
      const a = run();
      assert.equal(a.length, count);
      assert.deepEqual(a, run());
      assert.ok(a.every((r) => r.sensor_type === 'temperature' && r.unit === '°C' && r.quality === 1));
      assert.equal(a[a.length - 1].timestamp.getTime(), NOW.getTime());
    });
  }

  it('drift-event spaces readings 1 minute apart and rises by about drift_magnitude=10 from first to last fifth', () => {
    const r = simulateDriftEvent({ sensor_id: 's-1', drift_magnitude: 10, num_samples: 100, base_value: 50, noise_level: 0.5 }, NOW);
    assert.ok(r.every((x) => x.sensor_id === 's-1'));
    for (let i = 1; i < r.length; i++) assert.equal(r[i].timestamp.getTime() - r[i - 1].timestamp.getTime(), 60_000);
    const mean = (xs: typeof r) => xs.reduce((s, x) => s + x.value, 0) / xs.length;
    const rise = mean(r.slice(80)) - mean(r.slice(0, 20));
    assert.ok(rise > 7 && rise < 9, `rise ${rise}`); // (0.9 − 0.1)·10 = 8 expected
  });

  it('drift-event clips to [0, 100]: base_value=99 with drift 50 never exceeds 100', () => {
    const r = simulateDriftEvent({ base_value: 99, drift_magnitude: 50, num_samples: 40 }, NOW);
    assert.ok(r.every((x) => x.value <= 100 && x.value >= 0));
    assert.ok(r.some((x) => x.value === 100));
  });

  it('anomaly-event with num_anomalies=10 marks exactly 10 of 50 readings, each ≥ 15 away from 25', () => {
    const r = simulateAnomalyEvent({ num_anomalies: 10, anomaly_magnitude: 5 }, NOW);
    const anomalous = r.filter((x) => x.sensor_metadata.is_anomaly === true);
    assert.equal(anomalous.length, 10);
    assert.ok(anomalous.every((x) => x.value >= 40 || x.value <= 15));
    assert.ok(r.filter((x) => x.sensor_metadata.is_anomaly === false).every((x) => Math.abs(x.value - 25) < 5));
  });

  it('normal-data spreads 100 readings evenly over 60 minutes, values in [15, 35] around 23 + 3·sin(2π·hour/24)', () => {
    const r = simulateNormalData({ num_samples: 100, duration_minutes: 60 }, NOW);
    assert.equal(r[0].timestamp.getTime(), NOW.getTime() - 60 * 60_000);
    for (const x of r) {
      const expected = 23 + 3 * Math.sin((2 * Math.PI * x.timestamp.getUTCHours()) / 24);
      assert.ok(Math.abs(x.value - expected) < 2.5, `value ${x.value} vs ${expected}`);
      assert.ok(x.value >= 15 && x.value <= 35);
    }
  });

  it('refuses num_samples=-1 and num_anomalies=2.5 with a RangeError', () => {
    assert.throws(() => simulateDriftEvent({ num_samples: -1 }, NOW), RangeError);
    assert.throws(() => simulateAnomalyEvent({ num_anomalies: 2.5 }, NOW), RangeError);
  });
});

describe('AI4I 2020 generator', () => {
  const rows = generateAi4i({ rows: 10_000, seed: 2020 });

  it('is deterministic: seed 2020 twice gives the same 10,000 rows, seed 2021 different ones', () => {
    assert.deepEqual(generateAi4i({ rows: 10_000, seed: 2020 }), rows);
    assert.notDeepEqual(generateAi4i({ rows: 50, seed: 2021 }), rows.slice(0, 50));
  });

  it('has Type shares 50/30/20 % ± 2 %, air 300 ± 2 K, process − air 10 ± 1 K, torque 40 ± 10 Nm', () => {
    const share = (t: string) => rows.filter((r) => r.type === t).length / rows.length;
    assert.ok(Math.abs(share('L') - 0.5) < 0.02 && Math.abs(share('M') - 0.3) < 0.02 && Math.abs(share('H') - 0.2) < 0.02);
    const stats = (xs: number[]) => {
      const m = xs.reduce((s, x) => s + x, 0) / xs.length;
      return [m, Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length)];
    };
    const [airMean, airSd] = stats(rows.map((r) => r.air_temperature_k));
    assert.ok(Math.abs(airMean - 300) < 0.05 && Math.abs(airSd - 2) < 0.05);
    const [dMean, dSd] = stats(rows.map((r) => r.process_temperature_k - r.air_temperature_k));
    assert.ok(Math.abs(dMean - 10) < 0.05 && Math.abs(dSd - 1) < 0.05);
    const [tMean, tSd] = stats(rows.map((r) => r.torque_nm));
    assert.ok(Math.abs(tMean - 40) < 0.5 && Math.abs(tSd - 10) < 0.5);
    assert.ok(rows.every((r) => r.torque_nm >= 0 && r.tool_wear_min <= 245));
  });

  it('fails in 2–5 % of 10,000 processes, with every mode present and failure = any mode', () => {
    const failures = rows.filter((r) => r.machine_failure === 1).length;
    assert.ok(failures > 200 && failures < 500, `failures ${failures}`);
    for (const mode of ['twf', 'hdf', 'pwf', 'osf', 'rnf'] as const) assert.ok(rows.some((r) => r[mode] === 1), mode);
    assert.ok(rows.every((r) => r.machine_failure === (r.twf || r.hdf || r.pwf || r.osf || r.rnf ? 1 : 0)));
  });

  it('applies the HDF rule exactly: process − air < 8.6 K and speed < 1380 rpm', () => {
    for (const r of rows) {
      const hdf = r.process_temperature_k - r.air_temperature_k < 8.6 && r.rotational_speed_rpm < 1380;
      assert.equal(r.hdf, hdf ? 1 : 0);
    }
  });
});

describe('sensor fleet (isolation forest training data)', () => {
  it('gives 30 series × 20 readings within [12.816, 83.193], identical for the same seed', () => {
    const opts = { series: 30, length: 20, seed: 9, end: new Date('2025-01-01T00:00:00Z') };
    const fleet = generateSensorFleet(opts);
    assert.equal(fleet.length, 30);
    assert.ok(fleet.every((s) => s.length === 20 && s.every((r) => r.value >= 12.816 && r.value <= 83.193)));
    assert.deepEqual(fleet, generateSensorFleet(opts));
  });
});
