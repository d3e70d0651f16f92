/**
 * Which replica drives the rollout plans: a lease with a TTL and a fencing token (Kleppmann's
 * "fencing tokens"; the Redis `SET NX PX` lock of the Redis docs, single instance).
 *
 *   acquire   INCR <prefix>proxy:rollout:fence -> token;  SET <prefix>proxy:rollout:leader "<replica> <token>" NX PX ttl
 *   renew     PEXPIRE only while the value is still ours (Lua compare-and-expire), every turn
 *   release   DEL only while the value is still ours (on close: the next replica takes over at once)
 *
 * A leader that stalls past the TTL loses the lease to another replica whose token is larger;
 * the plan store refuses writes carrying a smaller token than the last one written, so the stalled
 * replica cannot move a plan any more (rollout-store.ts). Without Redis (one replica) the lease is
 * in-process and always held.
 */
import type { Redis } from '@smp/platform';

/** The right to drive plans; `hold()` is called every driver turn. */
export interface LeaderLease {
  /** Acquire or renew: the fencing token while this replica leads, null otherwise. */
  hold(): Promise<number | null>;
  /** Extend the lease only while this replica holds it (never acquires): false once it is lost. */
  renew(): Promise<boolean>;
  /** The replica holding the lease (null: none or unknown). */
  holder(): Promise<string | null>;
  release(): Promise<void>;
}

/** One process: always the leader, token 1. */
export class LocalLease implements LeaderLease {
  constructor(private readonly replicaId: string) {}
  async hold(): Promise<number> {
    return 1;
  }
  async renew(): Promise<boolean> {
    return true;
  }
  async holder(): Promise<string> {
    return this.replicaId;
  }
  async release(): Promise<void> {}
}

const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export interface RedisLeaseOptions {
  redis: Redis;
  keyPrefix: string;
  replicaId: string;
  ttlMs: number;
}

export class RedisLease implements LeaderLease {
  private mine: { value: string; token: number } | null = null;
  private readonly key: string;
  private readonly fenceKey: string;

  constructor(private readonly options: RedisLeaseOptions) {
    this.key = `${options.keyPrefix}proxy:rollout:leader`;
    this.fenceKey = `${options.keyPrefix}proxy:rollout:fence`;
  }

  async hold(): Promise<number | null> {
    const { redis, ttlMs, replicaId } = this.options;
    if (this.mine !== null) {
      const { token } = this.mine;
      if (await this.renew()) return token;
      // expired and possibly taken: try again like anyone else
    }
    if ((await redis.exists(this.key)) === 1) return null;
    const token = await redis.incr(this.fenceKey);
    const value = `${replicaId} ${token}`;
    const ok = await redis.set(this.key, value, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return null;
    this.mine = { value, token };
    return token;
  }

  async renew(): Promise<boolean> {
    if (this.mine === null) return false;
    const renewed = await this.options.redis.eval(RENEW, 1, this.key, this.mine.value, String(this.options.ttlMs));
    if (renewed === 1) return true;
    this.mine = null;
    return false;
  }

  async holder(): Promise<string | null> {
    const v = await this.options.redis.get(this.key);
    return v === null ? null : v.slice(0, v.lastIndexOf(' '));
  }

  async release(): Promise<void> {
    if (this.mine === null) return;
    const { value } = this.mine;
    this.mine = null;
    await this.options.redis.eval(RELEASE, 1, this.key, value);
  }
}
