/**
 * A test whose prerequisite (the monolith, Python's onnx, the trained models) is missing: on a
 * developer's machine it is skipped with the reason; with CI=true it fails with the reason, so a
 * CI machine that lost a prerequisite can never pass by skipping what it was meant to check.
 */
import type { Context } from 'mocha';

export function prerequisiteMissing(ctx: Context, reason: string): never {
  if (process.env.CI === 'true') throw new Error(`prerequisite missing (CI=true, so this fails instead of skipping): ${reason}`);
  console.log(`      skipped: ${reason}`);
  ctx.skip();
}
