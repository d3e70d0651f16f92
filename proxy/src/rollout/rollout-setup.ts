/**
 * The rollout side built from the configuration, for experiment.ts (the composition root):
 *
 *   plans   PostgreSQL (DATABASE_URL: proxy_rollout_plans, shared with the flags CLI), else in-process
 *   lease   Redis (REDIS_URL: SET NX PX + fencing token), else in-process (one replica)
 *   judge     the sequential judge's view (judge-view.ts)
 *   flags   the Unleash Admin API (UNLEASH_ADMIN_TOKEN); without it plans cannot move (logged)
 *   audit   proxy_route_events
 */
import { createRedis, closeRedis, waitForRedis, type Closer, type Logger, type PgPool } from '@smp/platform';
import { UnleashAdminClient } from '@smp/flags/admin-client';
import { MemoryRolloutStore, migrateRolloutSchema, PgRolloutStore, type RolloutStore } from '@smp/flags/rollout-store';
import type { RolloutSpec } from '@smp/flags/rollout-spec';
import type { Config } from '../config.js';
import type { RollbackController } from '../analysis/rollback-controller.js';
import type { RollbackStore } from '../state/rollback-store.js';
import type { JudgeView } from './judge-view.js';
import { LocalLease, RedisLease, type LeaderLease } from './leader-lease.js';
import { RolloutDriver, type RolloutActions } from './rollout-driver.js';

export interface RolloutDeps {
  logger: Logger;
  closer: Closer;
  now: () => number;
  replicaId: string;
  /** The serving thread's PostgreSQL pool (null without DATABASE_URL). */
  pool: PgPool | null;
  judge: JudgeView;
  controller: RollbackController;
  rollbackStore: RollbackStore;
  /** Route flags by route id, and the plans the route table declares. */
  flagsOf: (routeId: string) => { live: string; shadow: string } | undefined;
  declared: () => ReadonlyArray<{ routeId: string; spec: RolloutSpec }>;
}

export interface RolloutParts {
  readonly driver: RolloutDriver;
  readonly store: RolloutStore;
  readonly lease: LeaderLease;
  /** The plan and route-event tables exist (migrated). */
  schemaReady(): boolean;
}

async function leaseFor(config: Config, deps: RolloutDeps): Promise<LeaderLease> {
  if (!config.REDIS_URL) return new LocalLease(deps.replicaId);
  const redis = createRedis(config.REDIS_URL, deps.logger, { name: 'rollout lease' });
  deps.closer.add('rollout lease redis', () => closeRedis(redis));
  // Redis down at start: no replica leads (each turn retries) rather than two leading.
  if (!(await waitForRedis(redis))) deps.logger.warn('redis not ready: no rollout plan moves until this replica can hold the lease');
  return new RedisLease({ redis, keyPrefix: config.REDIS_KEY_PREFIX, replicaId: deps.replicaId, ttlMs: config.ROLLOUT_LEASE_TTL_MS });
}

function unleashFlags(config: Config, deps: RolloutDeps): RolloutActions['setFlags'] {
  const url = config.UNLEASH_ADMIN_URL ?? config.UNLEASH_URL;
  if (!config.UNLEASH_ADMIN_TOKEN || !url) {
    return async () => {
      throw new Error('rollout plans move flags through the Unleash Admin API: set UNLEASH_ADMIN_TOKEN and UNLEASH_URL');
    };
  }
  const client = new UnleashAdminClient({ url, token: config.UNLEASH_ADMIN_TOKEN, project: config.UNLEASH_PROJECT, environment: config.UNLEASH_ENVIRONMENT, timeoutMs: 3_000 });
  deps.closer.add('rollout unleash client', () => client.close());
  return async (routeId, live, shadow) => {
    const flags = deps.flagsOf(routeId);
    if (!flags) throw new Error(`route ${routeId} is not in the route table (or has no candidate)`);
    for (const [flag, pct] of [[flags.shadow, shadow], [flags.live, live]] as const) {
      await client.setRollout(flag, pct);
      await client.enable(flag);
    }
  };
}

export async function createRollout(config: Config, deps: RolloutDeps): Promise<RolloutParts> {
  const { pool, logger } = deps;
  let schemaReady = false;
  const prepare = async () => {
    if (pool === null || schemaReady) return;
    await migrateRolloutSchema(pool);
    schemaReady = true;
  };
  await prepare().catch((err: Error) => logger.warn('rollout tables not migrated yet; retried every turn', { error: err.message }));
  const store: RolloutStore = pool === null ? new MemoryRolloutStore() : new PgRolloutStore(pool);
  const lease = await leaseFor(config, deps);
  const actions: RolloutActions = {
    setFlags: unleashFlags(config, deps),
    rollBack: async (routeId) => deps.controller.rollBackOnDecision(routeId),
    resume: async (routeId, by, reason) => {
      await deps.controller.resume(routeId, by, reason);
    },
    isRolledBack: (routeId) => deps.rollbackStore.isRolledBack(routeId),
  };
  const driver = new RolloutDriver({ store, lease, judge: deps.judge, actions, declared: deps.declared, replicaId: deps.replicaId, now: deps.now, logger, prepare });
  deps.closer.add('rollout driver', () => driver.close());
  return { driver, store, lease, schemaReady: () => schemaReady };
}
