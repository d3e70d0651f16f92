/**
 * Unleash client-features documents for tests: flexibleRollout flags at given percentages,
 * optionally with variants, as a real Unleash server would send them.
 *
 *   features({ 'migrate.ml-predict.live': 30 })
 *   features({ 'migrate.ml-predict.live': { rollout: 100, variants: [{ name: 'v2', payload: '{"model_version":"2"}' }] } })
 */
import type { ClientFeaturesResponse } from 'unleash-client';

export interface FlagSpec {
  rollout: number;
  enabled?: boolean;
  variants?: Array<{ name: string; payload?: string }>;
}

export function features(flags: Record<string, number | FlagSpec>): ClientFeaturesResponse {
  return {
    version: 2,
    features: Object.entries(flags).map(([name, spec]) => {
      const s: FlagSpec = typeof spec === 'number' ? { rollout: spec } : spec;
      return {
        name,
        enabled: s.enabled ?? true,
        strategies: [
          {
            name: 'flexibleRollout',
            parameters: { rollout: String(s.rollout), stickiness: 'default', groupId: name },
            constraints: [],
            variants: (s.variants ?? []).map((v) => ({
              name: v.name,
              weight: Math.floor(1000 / (s.variants?.length ?? 1)),
              weightType: 'variable',
              stickiness: 'default',
              ...(v.payload !== undefined ? { payload: { type: 'json', value: v.payload } } : {}),
            })),
          },
        ],
      };
    }) as ClientFeaturesResponse['features'],
  };
}
