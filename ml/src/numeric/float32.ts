/**
 * Float32 numbers in float64 clothing. The tree models compare inputs as float32 (`Math.fround`),
 * the way sklearn's trees and ONNX's TreeEnsemble operators do, so every threshold and leaf value
 * they hold is a float32 value. In JSON artifacts such a value is written in its shortest decimal
 * form that reads back to the same float32 (`300.05`, not `300.04998779296875`), and loaders pass
 * it through `Math.fround` again:
 *
 *   shortestFloat32(Math.fround(300.05)) === 300.05
 *   Math.fround(300.05) === Math.fround(shortestFloat32(Math.fround(300.05)))   // always
 */

/** The float32 value nearest `v`, as a JS number. */
export const f32 = Math.fround;

/** A number with the fewest significant digits whose float32 rounding is `Math.fround(v)`. */
export function shortestFloat32(v: number): number {
  const target = Math.fround(v);
  if (!Number.isFinite(target) || target === 0) return target;
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(target.toPrecision(digits));
    if (Math.fround(candidate) === target) return candidate;
  }
  return target; // 9 significant digits always round-trip a float32; kept for the type checker
}

/** The float32 midpoint split between two adjacent float32 values `a < b`, so that a <= t < b. */
export function float32Midpoint(a: number, b: number): number {
  const t = Math.fround((a + b) / 2);
  // Rounding can land on b itself when a and b are neighbours; then `a` is the only valid threshold.
  return t >= b ? a : t;
}
