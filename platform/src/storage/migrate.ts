/**
 * Versioned SQL migrations, applied in order at start. Safe to run twice (applied versions are
 * recorded in `<table>`) and from two processes at once (a transaction-scoped advisory lock
 * serialises them; the loser finds the work done).
 *
 *   await migrate(pool, { table: 'schema_migrations', migrations: [{ version: 1, name: 'init', sql: '…' }] });
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from './postgres.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrateOptions {
  /** The bookkeeping table; each component keeps its own so they can share one database. */
  table: string;
  migrations: readonly Migration[];
}

function lockKey(table: string): string {
  // A stable 63-bit key per bookkeeping table for pg_advisory_xact_lock(bigint).
  const hex = createHash('sha256').update(`migrate:${table}`).digest('hex').slice(0, 15);
  return BigInt(`0x${hex}`).toString();
}

/** Applies pending migrations; returns the versions applied by this call. */
export async function migrate(pool: pg.Pool, options: MigrateOptions): Promise<number[]> {
  if (!/^[a-z_][a-z0-9_]*$/.test(options.table)) throw new Error(`bad migrations table name: ${options.table}`);
  const versions = options.migrations.map((m) => m.version);
  if (new Set(versions).size !== versions.length) throw new Error('duplicate migration versions');
  const sorted = [...options.migrations].sort((a, b) => a.version - b.version);
  return inTransaction(pool, async (client) => {
    const applied: number[] = [];
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKey(options.table)]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${options.table} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set((await client.query<{ version: number }>(`SELECT version FROM ${options.table}`)).rows.map((r) => r.version));
    for (const m of sorted) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query(`INSERT INTO ${options.table} (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}
