/**
 * The migration triggers of the original strategy (`shared/seed-api.md`: "P95 of
 * /api/v1/ml/predict above 50 ms"), and the team's two others, measured per route:
 *
 *   legacy P95        the monolith's P95 over the period, from the rollups' histograms   > 50 ms
 *   request rate      busiest minute's pairs ÷ 60 ÷ the shadow share (pairs are a sample) > 200 req/s
 *   auto rollbacks    automatic rollbacks in the last 30 days                             ≥ 3
 *
 * Each is "met" when the measured value reaches its threshold; "unknown" without data.
 *
 *   migrationTriggers({ legacyP95Ms: 62, peakPairsPerMinute: 600, shadowPercent: 10, automaticRollbacks30d: 0 })
 *   // [{ name: 'legacy P95', value: 62, met: true, … }, { name: 'request rate', value: 100, met: false, … }, …]
 */

export interface MigrationTrigger {
  readonly name: string;
  /** How the value was measured. */
  readonly measure: string;
  readonly value: number | null;
  readonly unit: string;
  readonly threshold: number;
  readonly comparison: '>' | '≥';
  readonly met: boolean | null;
}

export const LEGACY_P95_TRIGGER_MS = 50;
export const REQUEST_RATE_TRIGGER = 200;
export const ROLLBACKS_TRIGGER = 3;

export interface TriggerInputs {
  readonly legacyP95Ms: number | null;
  readonly peakPairsPerMinute: number | null;
  /** Share of requests mirrored, in percent (null: unknown). */
  readonly shadowPercent: number | null;
  readonly automaticRollbacks30d: number;
}

export function migrationTriggers(i: TriggerInputs): MigrationTrigger[] {
  const rate = i.peakPairsPerMinute === null || i.shadowPercent === null || i.shadowPercent <= 0 ? null : Number(((i.peakPairsPerMinute / 60) * (100 / i.shadowPercent)).toPrecision(3));
  return [
    {
      name: 'legacy P95',
      measure: 'P95 of the monolith over the period (histograms, ±10%)',
      value: i.legacyP95Ms,
      unit: 'ms',
      threshold: LEGACY_P95_TRIGGER_MS,
      comparison: '>',
      met: i.legacyP95Ms === null ? null : i.legacyP95Ms > LEGACY_P95_TRIGGER_MS,
    },
    {
      name: 'request rate',
      measure: 'busiest minute: recorded pairs ÷ 60 s ÷ shadow share',
      value: rate,
      unit: 'req/s',
      threshold: REQUEST_RATE_TRIGGER,
      comparison: '>',
      met: rate === null ? null : rate > REQUEST_RATE_TRIGGER,
    },
    {
      name: 'automatic rollbacks',
      measure: 'rollbacks decided by the judge in the last 30 days',
      value: i.automaticRollbacks30d,
      unit: '',
      threshold: ROLLBACKS_TRIGGER,
      comparison: '≥',
      met: i.automaticRollbacks30d >= ROLLBACKS_TRIGGER,
    },
  ];
}
