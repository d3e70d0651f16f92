/** The rollout driver's environment (spread into the proxy's config schema). */
import { bool, int } from '@smp/platform';

export const rolloutEnv = {
  /** Drive rollout plans (on the replica holding the lease). */
  ROLLOUT_ENABLED: bool(true),
  /** How often the leader renews its lease and moves each plan one turn. */
  ROLLOUT_INTERVAL_MS: int(5_000, 50, 3_600_000),
  /** The lease's TTL in Redis: a leader silent this long is replaced (≥ 3 turns is sensible). */
  ROLLOUT_LEASE_TTL_MS: int(15_000, 150, 3_600_000),
};
