/**
 * Rollback state: which routes' candidates are out of traffic, shared by every proxy replica.
 *
 *   await store.rollBack('ml-predict', 'judge: 3 failing windows', 'replica-a')
 *   store.isRolledBack('ml-predict')   // true at once, synchronously (the CandidateGate reads it)
 *   await store.resume('ml-predict', 'POST /routes/ml-predict/resume', 'admin')
 *
 * Each route's state is one entry `{state, at, by, reason}`; entries merge last-writer-wins by
 * `at` (wall-clock ms), so replicas that were cut off converge when they meet again whatever order
 * messages arrive in. This file has the contract and the in-process store (one replica, no Redis);
 * `redis-rollback-store.ts` shares it across replicas.
 */

export type RollbackState = 'rolled-back' | 'resumed';

/** One route's latest rollback decision. */
export interface RollbackEntry {
  readonly routeId: string;
  readonly state: RollbackState;
  /** When it was decided (epoch ms); the newest entry wins. */
  readonly at: number;
  /** Who decided: a replica id, `admin`, `unleash`. */
  readonly by: string;
  readonly reason: string;
}

/** Where the state lives and whether it is in sync. */
export interface RollbackStoreHealth {
  readonly backend: 'memory' | 'redis';
  readonly connected: boolean;
  /** Local decisions not yet written to the shared backend (Redis down). */
  readonly pending: number;
}

/** Shared rollback state: reads are synchronous memory reads; writes flip local state first. */
export interface RollbackStore {
  isRolledBack(routeId: string): boolean;
  get(routeId: string): RollbackEntry | undefined;
  entries(): RollbackEntry[];
  /** Flips local state before returning the promise; resolves when shared (or known not to be). */
  rollBack(routeId: string, reason: string, by: string): Promise<RollbackEntry>;
  resume(routeId: string, reason: string, by: string): Promise<RollbackEntry>;
  /** Called for every change of a route's state, local or remote. Returns an unsubscribe. */
  onChange(listener: (entry: RollbackEntry, previous: RollbackEntry | undefined) => void): () => void;
  health(): RollbackStoreHealth;
  close(): Promise<void>;
}

/** Parse an entry from the wire; null for anything malformed. */
export function parseEntry(raw: string): RollbackEntry | null {
  try {
    const v = JSON.parse(raw) as Partial<RollbackEntry>;
    if (typeof v.routeId !== 'string' || (v.state !== 'rolled-back' && v.state !== 'resumed') || typeof v.at !== 'number') return null;
    return Object.freeze({ routeId: v.routeId, state: v.state, at: v.at, by: String(v.by ?? ''), reason: String(v.reason ?? '') });
  } catch {
    return null;
  }
}

/** The in-process part every store extends: entries, last-writer-wins merge, change listeners. */
export class LocalRollbackState {
  private readonly map = new Map<string, RollbackEntry>();
  private readonly listeners = new Set<(entry: RollbackEntry, previous: RollbackEntry | undefined) => void>();

  constructor(private readonly onListenerError: (err: unknown) => void = () => undefined) {}

  isRolledBack(routeId: string): boolean {
    return this.map.get(routeId)?.state === 'rolled-back';
  }

  get(routeId: string): RollbackEntry | undefined {
    return this.map.get(routeId);
  }

  entries(): RollbackEntry[] {
    return [...this.map.values()];
  }

  /** Apply an entry if it is newer than what we have (ties: a rollback wins). Returns whether it changed anything. */
  apply(entry: RollbackEntry): boolean {
    const previous = this.map.get(entry.routeId);
    if (previous && (previous.at > entry.at || (previous.at === entry.at && (previous.state === 'rolled-back' || entry.state === previous.state)))) return false;
    this.map.set(entry.routeId, entry);
    for (const l of this.listeners) {
      try {
        l(entry, previous);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    return true;
  }

  onChange(listener: (entry: RollbackEntry, previous: RollbackEntry | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Makes a new entry at `now()`, always later than the route's current one (clocks may tie). */
export function nextEntry(local: LocalRollbackState, now: () => number, routeId: string, state: RollbackState, reason: string, by: string): RollbackEntry {
  const current = local.get(routeId);
  const at = Math.max(now(), current ? current.at + 1 : 0);
  return Object.freeze({ routeId, state, at, by, reason });
}

/** Rollback state of one process: for a single replica, or when no REDIS_URL is configured. */
export class MemoryRollbackStore extends LocalRollbackState implements RollbackStore {
  constructor(private readonly now: () => number = Date.now) {
    super();
  }

  async rollBack(routeId: string, reason: string, by: string): Promise<RollbackEntry> {
    const entry = nextEntry(this, this.now, routeId, 'rolled-back', reason, by);
    this.apply(entry);
    return entry;
  }
  async resume(routeId: string, reason: string, by: string): Promise<RollbackEntry> {
    const entry = nextEntry(this, this.now, routeId, 'resumed', reason, by);
    this.apply(entry);
    return entry;
  }
  health(): RollbackStoreHealth {
    return { backend: 'memory', connected: true, pending: 0 };
  }
  async close(): Promise<void> {}
}
