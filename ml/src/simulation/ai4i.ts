/**
 * A seeded generator of the AI4I 2020 predictive-maintenance data (Matzka 2020, UCI), following
 * its published construction, one row per machining process:
 *
 * - Type L / M / H (product quality) with probability 50 / 30 / 20 %.
 * - Air temperature: a mean-reverting random walk (AR(1), ρ = 0.99), normalised over the series to
 *   300 K ± 2 K; process temperature: another such walk normalised to ± 1 K, plus air + 10 K.
 * - Torque ≈ N(40 Nm, 10 Nm), never negative.
 * - Rotational speed: the published "calculated from a power of 2860 W" cannot give the data's
 *   speeds (1168–2886 rpm, mean 1538 at 40 Nm) from P = τω alone; what matches them is a drive whose
 *   speed falls from 2860 rpm without load along n = 2860·τ₀/(τ₀ + τ), τ₀ = 46.6 Nm, plus
 *   N(0, 30 rpm) noise. We use that and say so.
 * - Tool wear: the process adds 5 / 3 / 2 min for H / M / L; each tool is changed at a wear drawn
 *   uniformly in 200–240 min, and at that process it fails (TWF) with the published odds 51 of
 *   120 changes, then wear starts again from 0.
 * - Failure modes: TWF as above; HDF when process − air < 8.6 K and speed < 1380 rpm; PWF when
 *   torque × ω is outside 3500–9000 W; OSF when wear × torque exceeds 11000 / 12000 / 13000 min·Nm
 *   for L / M / H; RNF with probability 0.1 %. Machine failure = any mode.
 * Values are rounded like the published file (0.1 K, 1 rpm, 0.1 Nm, 1 min).
 *
 *   generateAi4i({ rows: 10_000, seed: 2020 }).filter((r) => r.machine_failure).length  // ≈ 3 %
 */
import { AI4I_FEATURE_NAMES, PRODUCT_TYPE_CODES, type ProductType } from '../classifier/ai4i-features.js';
import { createRandom } from '../random/prng.js';

/** One generated process, with the AI4I columns. */
export interface Ai4iRow {
  udi: number;
  product_id: string;
  type: ProductType;
  air_temperature_k: number;
  process_temperature_k: number;
  rotational_speed_rpm: number;
  torque_nm: number;
  tool_wear_min: number;
  machine_failure: 0 | 1;
  twf: 0 | 1;
  hdf: 0 | 1;
  pwf: 0 | 1;
  osf: 0 | 1;
  rnf: 0 | 1;
}

export interface Ai4iOptions {
  rows: number;
  seed: number;
}

/** Constants of the construction, exported so model cards can cite them. */
export const AI4I_RULES = Object.freeze({
  typeShares: { L: 0.5, M: 0.3, H: 0.2 },
  airTemperatureK: { mean: 300, sd: 2 },
  processOffsetK: { mean: 10, sd: 1 },
  walkCorrelation: 0.99,
  torqueNm: { mean: 40, sd: 10 },
  noLoadSpeedRpm: 2860,
  speedHalfTorqueNm: 46.6,
  speedNoiseRpm: 30,
  wearPerProcessMin: { H: 5, M: 3, L: 2 },
  toolChangeWearMin: [200, 240],
  toolFailureShare: 51 / 120,
  hdf: { maxDifferenceK: 8.6, maxSpeedRpm: 1380 },
  pwf: { minPowerW: 3500, maxPowerW: 9000 },
  osfLimitMinNm: { L: 11000, M: 12000, H: 13000 },
  rnfProbability: 0.001,
});

export function generateAi4i(options: Ai4iOptions): Ai4iRow[] {
  const { rows, seed } = options;
  if (!Number.isInteger(rows) || rows <= 0) throw new RangeError(`rows must be a positive integer, got ${rows}`);
  const rng = createRandom(seed);
  const R = AI4I_RULES;
  const air = normalisedWalk(rows, rng.normal, R.walkCorrelation);
  const offset = normalisedWalk(rows, rng.normal, R.walkCorrelation);

  const out: Ai4iRow[] = [];
  let wear = 0;
  let changeAt = rng.between(R.toolChangeWearMin[0], R.toolChangeWearMin[1]);
  const serial = { L: 50000, M: 10000, H: 30000 };
  for (let i = 0; i < rows; i++) {
    const type = rng.choice<ProductType>(['L', 'M', 'H'], [R.typeShares.L, R.typeShares.M, R.typeShares.H]);
    const airK = round(R.airTemperatureK.mean + R.airTemperatureK.sd * air[i], 1);
    const processK = round(airK + R.processOffsetK.mean + R.processOffsetK.sd * offset[i], 1);
    const torque = round(Math.max(0, rng.normal(R.torqueNm.mean, R.torqueNm.sd)), 1);
    const speed = Math.max(0, Math.round((R.noLoadSpeedRpm * R.speedHalfTorqueNm) / (R.speedHalfTorqueNm + torque) + rng.normal(0, R.speedNoiseRpm)));
    wear += R.wearPerProcessMin[type];

    let twf: 0 | 1 = 0;
    const toolWear = wear;
    if (wear >= changeAt) {
      twf = rng.uniform() < R.toolFailureShare ? 1 : 0;
      wear = 0;
      changeAt = rng.between(R.toolChangeWearMin[0], R.toolChangeWearMin[1]);
    }
    const power = torque * ((speed * 2 * Math.PI) / 60);
    const hdf: 0 | 1 = processK - airK < R.hdf.maxDifferenceK && speed < R.hdf.maxSpeedRpm ? 1 : 0;
    const pwf: 0 | 1 = power < R.pwf.minPowerW || power > R.pwf.maxPowerW ? 1 : 0;
    const osf: 0 | 1 = toolWear * torque > R.osfLimitMinNm[type] ? 1 : 0;
    const rnf: 0 | 1 = rng.uniform() < R.rnfProbability ? 1 : 0;
    serial[type] += 1;
    out.push({
      udi: i + 1,
      product_id: `${type}${serial[type]}`,
      type,
      air_temperature_k: airK,
      process_temperature_k: processK,
      rotational_speed_rpm: speed,
      torque_nm: torque,
      tool_wear_min: toolWear,
      machine_failure: twf || hdf || pwf || osf || rnf ? 1 : 0,
      twf,
      hdf,
      pwf,
      osf,
      rnf,
    });
  }
  return out;
}

/** The classifier's feature vector of a row, in `AI4I_FEATURE_NAMES` order. */
export function ai4iRowFeatures(row: Ai4iRow): number[] {
  return [row.air_temperature_k, row.process_temperature_k, row.rotational_speed_rpm, row.torque_nm, row.tool_wear_min, PRODUCT_TYPE_CODES[row.type]];
}

/** Rows as a float32 row-major matrix and 0/1 labels, ready for training or evaluation. */
export function ai4iMatrix(rows: readonly Ai4iRow[]): { x: Float32Array; y: Uint8Array; featureNames: readonly string[] } {
  const d = AI4I_FEATURE_NAMES.length;
  const x = new Float32Array(rows.length * d);
  const y = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    x.set(ai4iRowFeatures(row), i * d);
    y[i] = row.machine_failure;
  });
  return { x, y, featureNames: AI4I_FEATURE_NAMES };
}

/** An AR(1) walk of length n, then shifted and scaled to mean 0 and standard deviation 1. */
function normalisedWalk(n: number, normal: (mean?: number, sd?: number) => number, rho: number): Float64Array {
  const w = new Float64Array(n);
  let v = normal();
  const innovation = Math.sqrt(1 - rho * rho);
  for (let i = 0; i < n; i++) {
    v = rho * v + innovation * normal();
    w[i] = v;
  }
  let mean = 0;
  for (const a of w) mean += a;
  mean /= n;
  let sq = 0;
  for (const a of w) sq += (a - mean) * (a - mean);
  const sd = Math.sqrt(sq / n) || 1;
  for (let i = 0; i < n; i++) w[i] = (w[i] - mean) / sd;
  return w;
}

function round(v: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}
