/**
 * Rollback state shared through Redis, so that a rollback decided on one proxy replica stops
 * candidate traffic on all of them within milliseconds:
 *
 *   hash    <prefix>proxy:rollback          field = route id, value = the entry as JSON
 *   channel <prefix>proxy:rollback:changes  every accepted write is published here
 *
 * A write is one Lua script: keep the newer entry (by `at`) and publish it, atomically. Every
 * replica applies published entries to its in-memory copy (what the CandidateGate reads) and
 * re-reads the whole hash every `resyncMs` and on each reconnect, which heals missed messages.
 * When Redis is down a replica still flips its own state at once; the decision stays pending and
 * is written when Redis returns (newer entries win either way).
 */
import { randomUUID } from 'node:crypto';
import { closeRedis, createRedis, Redis, type Logger } from '@smp/platform';
import { LocalRollbackState, nextEntry, parseEntry, type RollbackEntry, type RollbackStore, type RollbackStoreHealth } from './rollback-store.js';

export interface RedisRollbackStoreOptions {
  url: string;
  keyPrefix: string;
  logger: Logger;
  /** Full re-read period (ms): the bound on how long a missed message can go unnoticed. */
  resyncMs?: number;
  now?: () => number;
}

// KEYS[1] hash, ARGV: field, entry json, entry at, channel. Returns the entry that is now stored.
const WRITE_SCRIPT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local ok, decoded = pcall(cjson.decode, cur)
  if ok and type(decoded) == 'table' and tonumber(decoded.at) and tonumber(decoded.at) >= tonumber(ARGV[3]) then
    return cur
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return ARGV[2]
`;

export class RedisRollbackStore extends LocalRollbackState implements RollbackStore {
  private readonly client: Redis;
  private readonly subscriber: Redis;
  private readonly hashKey: string;
  private readonly channel: string;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  /** Local decisions Redis has not accepted yet. */
  private readonly pending = new Map<string, RollbackEntry>();
  private syncing: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: RedisRollbackStoreOptions) {
    super((err) => options.logger.warn('rollback listener failed', { error: (err as Error).message }));
    this.now = options.now ?? Date.now;
    this.hashKey = `${options.keyPrefix}proxy:rollback`;
    this.channel = `${options.keyPrefix}proxy:rollback:changes`;
    // Keys are prefixed by hand: ioredis does not prefix pub/sub channels, and one rule for both is clearer.
    this.client = createRedis(options.url, options.logger, { name: 'rollback-state' });
    this.client.on('ready', () => void this.resync());
    this.subscriber = new Redis(options.url, {
      connectionName: `rollback-sub-${randomUUID().slice(0, 8)}`,
      enableOfflineQueue: true,
      autoResubscribe: true,
      maxRetriesPerRequest: null,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(200 * times, 2_000),
    });
    this.subscriber.on('error', () => undefined); // the command client already logs outages
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const entry = parseEntry(message);
      if (entry) this.apply(entry);
    });
    this.subscriber.subscribe(this.channel).catch((err: Error) => options.logger.warn('rollback subscribe failed', { error: err.message }));
    this.client.defineCommand('rollbackWrite', { numberOfKeys: 1, lua: WRITE_SCRIPT });
    this.timer = setInterval(() => void this.resync(), options.resyncMs ?? 1_000);
    this.timer.unref();
  }

  /**
   * Wait (at most `waitMs`) for the connection, then do a full read: at start, so a replica never
   * serves a route another replica rolled back. Resolves either way; Redis down is not fatal.
   */
  async ready(waitMs = 2_000): Promise<void> {
    if (this.client.status !== 'ready') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.client.once('ready', () => resolve())),
        // A refused connection answers at once: no reason to wait for the timeout then.
        new Promise<void>((resolve) => this.client.once('error', () => resolve())),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, waitMs);
        }),
      ]);
      clearTimeout(timer);
    }
    await this.resync();
  }

  rollBack(routeId: string, reason: string, by: string): Promise<RollbackEntry> {
    return this.write(nextEntry(this, this.now, routeId, 'rolled-back', reason, by));
  }

  resume(routeId: string, reason: string, by: string): Promise<RollbackEntry> {
    return this.write(nextEntry(this, this.now, routeId, 'resumed', reason, by));
  }

  health(): RollbackStoreHealth {
    return { backend: 'redis', connected: this.client.status === 'ready', pending: this.pending.size };
  }

  /** Local first (synchronously), then Redis; a failed write stays pending for the next resync. */
  private write(entry: RollbackEntry): Promise<RollbackEntry> {
    this.apply(entry);
    this.pending.set(entry.routeId, entry);
    return this.push(entry).then(() => entry);
  }

  private async push(entry: RollbackEntry): Promise<void> {
    try {
      const client = this.client as Redis & { rollbackWrite(key: string, field: string, json: string, at: string, channel: string): Promise<string> };
      const stored = await client.rollbackWrite(this.hashKey, entry.routeId, JSON.stringify(entry), String(entry.at), this.channel);
      if (this.pending.get(entry.routeId) === entry) this.pending.delete(entry.routeId);
      const winner = parseEntry(stored);
      if (winner) this.apply(winner);
    } catch (err) {
      this.options.logger.debug('rollback state write deferred', { route: entry.routeId, error: (err as Error).message });
    }
  }

  /** Read the whole hash, merge it in, and push local decisions Redis has not got (or has older). */
  private resync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.syncing ??= (async () => {
      try {
        const all = await this.client.hgetall(this.hashKey);
        const remote = new Map<string, RollbackEntry>();
        for (const raw of Object.values(all)) {
          const entry = parseEntry(raw);
          if (entry) {
            remote.set(entry.routeId, entry);
            this.apply(entry);
          }
        }
        for (const entry of this.entries()) {
          const theirs = remote.get(entry.routeId);
          if (!theirs || theirs.at < entry.at) await this.push(entry);
          else if (this.pending.get(entry.routeId) === entry) this.pending.delete(entry.routeId);
        }
      } catch {
        // Redis down: the local state stands; the next tick or reconnect tries again.
      } finally {
        this.syncing = null;
      }
    })();
    return this.syncing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await Promise.all([closeRedis(this.client), closeRedis(this.subscriber)]);
  }
}
