/**
 * The AI4I classifier's input: six numbers in a fixed order. `Type` (the product quality variant)
 * is categorical and enters as its ordinal code, L/M/H -> 0/1/2, defaulting to M as the legacy API
 * does when a request leaves it out.
 *
 *   ai4iFeatureVector({ Air_temperature_K: 300.1, Process_temperature_K: 310.2,
 *                       Rotational_speed_rpm: 1500, Torque_Nm: 40, Tool_wear_min: 100 })
 *   // -> { vector: [300.1, 310.2, 1500, 40, 100, 1], missing: [] }
 */

/** Feature order of every `ai4i_classifier` version (and of its ONNX export's input tensor). */
export const AI4I_FEATURE_NAMES = Object.freeze([
  'Air_temperature_K',
  'Process_temperature_K',
  'Rotational_speed_rpm',
  'Torque_Nm',
  'Tool_wear_min',
  'Type',
] as const);

/** The five numeric features a predict request must carry (`Type` is optional). */
export const AI4I_REQUIRED_FEATURES = Object.freeze(AI4I_FEATURE_NAMES.slice(0, 5));

export type ProductType = 'L' | 'M' | 'H';

/** Ordinal code of the product quality variant. */
export const PRODUCT_TYPE_CODES: Readonly<Record<ProductType, number>> = Object.freeze({ L: 0, M: 1, H: 2 });

/** The variant assumed when a request has no `Type`. */
export const DEFAULT_PRODUCT_TYPE: ProductType = 'M';

/** Result of mapping a request's feature object: a full vector, or the names that are absent. */
export interface Ai4iFeatureVector {
  vector: number[];
  /** Required features absent (or not finite numbers), in feature order; empty when `vector` is usable. */
  missing: string[];
}

/**
 * Map a request's `features` object to the model's vector. A required feature counts as missing
 * when absent, null or not a finite number; `Type` must be L, M or H when given (else missing).
 */
export function ai4iFeatureVector(features: Readonly<Record<string, unknown>>): Ai4iFeatureVector {
  const vector: number[] = [];
  const missing: string[] = [];
  for (const name of AI4I_REQUIRED_FEATURES) {
    const v = features[name];
    if (typeof v === 'number' && Number.isFinite(v)) vector.push(v);
    else missing.push(name);
  }
  const type = features.Type ?? DEFAULT_PRODUCT_TYPE;
  if (typeof type === 'string' && type in PRODUCT_TYPE_CODES) vector.push(PRODUCT_TYPE_CODES[type as ProductType]);
  else missing.push('Type');
  return { vector, missing };
}
