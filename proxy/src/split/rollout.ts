/**
 * What share of traffic a flag sends, read from its definition for status and metrics (the
 * per-request decision is Unleash's own evaluation). A disabled or missing flag is 0%; a
 * `flexibleRollout` strategy gives its `rollout` parameter; a `default` strategy (or an enabled flag
 * with no strategy) is 100%. With several strategies the largest share is reported.
 *
 *   rolloutPercent({ enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: '30' } }] })  // 30
 */
import type { FeatureInterface } from 'unleash-client/lib/feature.js';

export function rolloutPercent(feature: FeatureInterface | undefined): number {
  if (feature === undefined || !feature.enabled) return 0;
  const strategies = feature.strategies ?? [];
  if (strategies.length === 0) return 100;
  let best = 0;
  for (const s of strategies) {
    let share = 0;
    if (s.name === 'default') share = 100;
    else if (s.name === 'flexibleRollout' || s.name === 'gradualRolloutRandom' || s.name === 'gradualRolloutUserId' || s.name === 'gradualRolloutSessionId') {
      const raw = s.parameters?.rollout ?? s.parameters?.percentage;
      const n = Number(raw);
      share = Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : 0;
    }
    best = Math.max(best, share);
  }
  return best;
}

/** True when the flag defines variants (flag-level or strategy-level), so a variant must be read. */
export function hasVariants(feature: FeatureInterface | undefined): boolean {
  if (feature === undefined) return false;
  if ((feature.variants?.length ?? 0) > 0) return true;
  return (feature.strategies ?? []).some((s) => (s.variants?.length ?? 0) > 0);
}
