/**
 * Normal operation of a fleet of sensors, the training data of the isolation forest: each series
 * is one sensor read once a minute, a level with a slow daily cycle and Gaussian noise, values
 * clipped to the instrument range 12.816 … 83.193 (the ends of the legacy model's scaling) and
 * rounded to 2 decimals, quality 1.0.
 *
 * Two thirds of the sensors have levels spread evenly over 13 … 83 (each its own sensor kind by
 * range: vibration, temperature, pressure, flow, humidity); one third sit at the ends of the range
 * (9 … 15 and 81 … 87, so partly saturated). The dense ends matter: an isolation forest isolates
 * the ends of a thin band quickly, and if they were sparse they alone would fill the 5 %
 * contamination quantile and lift the outlier threshold above the score of real spikes.
 * Noise is 0.5 … 2 per series, daily amplitude 0 … 3.
 *
 *   generateSensorFleet({ series: 200, length: 75, seed: 7, end: new Date(0) })   // 200 × 75 readings
 */
import type { SimulatedReading } from '../contract.js';
import { anomalyFeatures } from '../anomaly/anomaly-features.js';
import { ANOMALY_HISTORY_SIZE, VALUE_SCALE_MAX, VALUE_SCALE_MIN } from '../anomaly/anomaly-features.js';
import { createRandom } from '../random/prng.js';

export interface SensorFleetOptions {
  series: number;
  /** Readings per series, one minute apart. */
  length: number;
  seed: number;
  /** Timestamp of every series' last reading. */
  end: Date;
}

/** The fleet's construction constants (model cards cite them). */
export const SENSOR_FLEET_RULES = Object.freeze({
  spread: [13, 83],
  lowEnd: [9, 15],
  highEnd: [81, 87],
  endShare: 1 / 3,
  noise: [0.5, 2],
  dailyAmplitude: [0, 3],
});

const KINDS: readonly { upTo: number; type: string; unit: string }[] = [
  { upTo: 15, type: 'vibration', unit: 'mm/s' },
  { upTo: 35, type: 'temperature', unit: '°C' },
  { upTo: 55, type: 'pressure', unit: 'kPa' },
  { upTo: 75, type: 'flow', unit: 'l/min' },
  { upTo: Infinity, type: 'humidity', unit: '%' },
];

/** One array of readings per sensor, oldest first. */
export function generateSensorFleet(options: SensorFleetOptions): SimulatedReading[][] {
  const R = SENSOR_FLEET_RULES;
  const rng = createRandom(options.seed);
  const fleet: SimulatedReading[][] = [];
  const spreadCount = options.series - Math.floor(options.series * R.endShare);
  let spreadIndex = 0;
  for (let s = 0; s < options.series; s++) {
    let level: number;
    if (s % 3 === 0 && s / 3 < options.series * R.endShare) {
      level = (s / 3) % 2 === 0 ? rng.between(R.lowEnd[0], R.lowEnd[1]) : rng.between(R.highEnd[0], R.highEnd[1]);
    } else {
      // Evenly spread with jitter, so no stretch of the range is left without sensors.
      level = R.spread[0] + (R.spread[1] - R.spread[0]) * ((spreadIndex + rng.uniform()) / spreadCount);
      spreadIndex++;
    }
    const daily = rng.between(R.dailyAmplitude[0], R.dailyAmplitude[1]);
    const noise = rng.between(R.noise[0], R.noise[1]);
    const phase = rng.between(0, 2 * Math.PI);
    const kind = KINDS.find((k) => level <= k.upTo) ?? KINDS[KINDS.length - 1];
    const sensorId = `fleet-${kind.type}-${String(s).padStart(3, '0')}`;
    const series: SimulatedReading[] = [];
    for (let i = 0; i < options.length; i++) {
      const at = new Date(options.end.getTime() - (options.length - 1 - i) * 60_000);
      const hour = at.getUTCHours() + at.getUTCMinutes() / 60;
      const raw = level + daily * Math.sin((2 * Math.PI * hour) / 24 + phase) + rng.normal(0, noise);
      const value = Math.round(Math.min(VALUE_SCALE_MAX, Math.max(VALUE_SCALE_MIN, raw)) * 100) / 100;
      series.push({ sensor_id: sensorId, sensor_type: kind.type, value, unit: kind.unit, timestamp: at, quality: 1.0, sensor_metadata: { simulation: true, fleet: true } });
    }
    fleet.push(series);
  }
  return fleet;
}

/**
 * The anomaly features of every reading of one sensor's series (oldest first), each computed as
 * `detect_anomaly` would right after that reading was stored: the history is the up to 12
 * readings before it, newest first.
 */
export function seriesAnomalyFeatures(series: readonly SimulatedReading[]): number[][] {
  return series.map((r, i) => {
    const history = series.slice(Math.max(0, i - ANOMALY_HISTORY_SIZE), i).reverse();
    return anomalyFeatures({ value: r.value, quality: r.quality, timestamp: r.timestamp }, history).vector;
  });
}
