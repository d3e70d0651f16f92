/**
 * The demo sensor data the legacy `/api/v1/simulate/*` routes write, as pure functions of their
 * parameters and the clock. Each call re-seeds its own generator (drift 42, anomaly 123,
 * normal 456), so the same parameters and `now` give the same readings, as in the original.
 * Values are rounded to 2 decimals; readings are temperatures in °C with quality 1.0.
 *
 *   simulateDriftEvent({ num_samples: 3 }, new Date('2025-08-21T10:00:00Z'))
 *   // 3 readings of demo-sensor-001 at 09:58, 09:59, 10:00: base + (i/n)·drift + N(0, noise)
 *
 * - drift-event: `base + (i/n)·drift_magnitude + N(0, noise_level)`, clipped to [0, 100], one
 *   minute apart, the last at `now`.
 * - anomaly-event: `5 × num_anomalies` readings one minute apart ending at `now`; `num_anomalies`
 *   of them (positions drawn without replacement) are anomalous: with even odds high,
 *   25 + magnitude·U(3, 5), or low, 25 − magnitude·U(2, 3); the rest are N(25, 1); all clipped to
 *   [−10, 60] (the original's rule: "±magnitude·σ" with σ = 1 around the base 25).
 * - normal-data: `num_samples` readings evenly spread over the last `duration_minutes` (the last
 *   at `now`), `23 + 3·sin(2π·hour/24) + N(0, 0.5)` with the reading's UTC hour, clipped to [15, 35].
 */
import type { SimulatedReading } from '../contract.js';
import { createRandom } from '../random/prng.js';

export const DRIFT_EVENT_SEED = 42;
export const ANOMALY_EVENT_SEED = 123;
export const NORMAL_DATA_SEED = 456;

/** Body of `POST /api/v1/simulate/drift-event` (every field optional). */
export interface DriftEventParams {
  sensor_id: string;
  drift_magnitude: number;
  num_samples: number;
  base_value: number;
  noise_level: number;
}

/** Query of `POST /api/v1/simulate/anomaly-event`. */
export interface AnomalyEventParams {
  sensor_id: string;
  anomaly_magnitude: number;
  num_anomalies: number;
}

/** Query of `POST /api/v1/simulate/normal-data`. */
export interface NormalDataParams {
  sensor_id: string;
  num_samples: number;
  duration_minutes: number;
}

export const DRIFT_EVENT_DEFAULTS: Readonly<DriftEventParams> = Object.freeze({
  sensor_id: 'demo-sensor-001',
  drift_magnitude: 2.0,
  num_samples: 50,
  base_value: 25.0,
  noise_level: 1.0,
});

export const ANOMALY_EVENT_DEFAULTS: Readonly<AnomalyEventParams> = Object.freeze({
  sensor_id: 'demo-sensor-002',
  anomaly_magnitude: 5.0,
  num_anomalies: 10,
});

export const NORMAL_DATA_DEFAULTS: Readonly<NormalDataParams> = Object.freeze({
  sensor_id: 'demo-sensor-003',
  num_samples: 100,
  duration_minutes: 60,
});

const MINUTE_MS = 60_000;

export function simulateDriftEvent(params: Partial<DriftEventParams>, now: Date): SimulatedReading[] {
  const p = { ...DRIFT_EVENT_DEFAULTS, ...defined(params) };
  const n = nonNegativeInteger(p.num_samples, 'num_samples');
  const rng = createRandom(DRIFT_EVENT_SEED);
  const out: SimulatedReading[] = [];
  for (let i = 0; i < n; i++) {
    const raw = p.base_value + (i / n) * p.drift_magnitude + rng.normal(0, p.noise_level);
    out.push(
      reading(p.sensor_id, clip(raw, 0, 100), new Date(now.getTime() - (n - 1 - i) * MINUTE_MS), {
        simulation: true,
        drift_simulation: true,
        drift_magnitude: p.drift_magnitude,
        sample_index: i,
      }),
    );
  }
  return out;
}

export function simulateAnomalyEvent(params: Partial<AnomalyEventParams>, now: Date): SimulatedReading[] {
  const p = { ...ANOMALY_EVENT_DEFAULTS, ...defined(params) };
  const k = nonNegativeInteger(p.num_anomalies, 'num_anomalies');
  const total = 5 * k;
  const rng = createRandom(ANOMALY_EVENT_SEED);
  const anomalous = new Set(rng.sampleIndices(total, k));
  const base = 25.0;
  const out: SimulatedReading[] = [];
  for (let i = 0; i < total; i++) {
    const isAnomaly = anomalous.has(i);
    let raw: number;
    if (isAnomaly) raw = rng.uniform() > 0.5 ? base + p.anomaly_magnitude * rng.between(3, 5) : base - p.anomaly_magnitude * rng.between(2, 3);
    else raw = rng.normal(base, 1.0);
    out.push(
      reading(p.sensor_id, clip(raw, -10, 60), new Date(now.getTime() - (total - 1 - i) * MINUTE_MS), {
        simulation: true,
        anomaly_simulation: true,
        is_anomaly: isAnomaly,
        sample_index: i,
      }),
    );
  }
  return out;
}

export function simulateNormalData(params: Partial<NormalDataParams>, now: Date): SimulatedReading[] {
  const p = { ...NORMAL_DATA_DEFAULTS, ...defined(params) };
  const n = nonNegativeInteger(p.num_samples, 'num_samples');
  if (!Number.isFinite(p.duration_minutes) || p.duration_minutes < 0) throw new RangeError(`duration_minutes must be ≥ 0, got ${p.duration_minutes}`);
  const rng = createRandom(NORMAL_DATA_SEED);
  const out: SimulatedReading[] = [];
  for (let i = 0; i < n; i++) {
    // numpy.linspace(0, duration, n): offsets from the start, the last exactly at `now`.
    const offset = n === 1 ? 0 : (p.duration_minutes * i) / (n - 1);
    const at = new Date(now.getTime() - (p.duration_minutes - offset) * MINUTE_MS);
    const hour = at.getUTCHours();
    const raw = 23.0 + 3 * Math.sin((2 * Math.PI * hour) / 24) + rng.normal(0, 0.5);
    out.push(reading(p.sensor_id, clip(raw, 15, 35), at, { simulation: true, normal_simulation: true, daily_hour: hour, sample_index: i }));
  }
  return out;
}

function reading(sensorId: string, value: number, timestamp: Date, metadata: Record<string, unknown>): SimulatedReading {
  return {
    sensor_id: sensorId,
    sensor_type: 'temperature',
    value: Math.round(value * 100) / 100,
    unit: '°C',
    timestamp,
    quality: 1.0,
    sensor_metadata: metadata,
  };
}

function clip(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

function nonNegativeInteger(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  return v;
}

/** Drops keys whose value is undefined, so they do not override the defaults. */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
