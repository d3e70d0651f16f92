/**
 * What a previous run may have left in the embedded PostgreSQL's data directory, and how to clear
 * it before starting again. PostgreSQL's lock file `postmaster.pid` names the server's pid:
 *
 *   that pid is our postgres, still running   -> an orphan (its keeper was SIGKILLed): stop it
 *   that pid is some other live process       -> pid reused after a crash: the lock is stale, remove it
 *   that pid is gone (or a zombie)            -> stale lock: remove it
 *
 * A keeper that is still alive means another `npm start` uses the same STACK_DIR: refuse, rather
 * than take its database away. The process table is injected so the decisions are testable.
 */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessTable {
  /** True when the pid runs and is not a zombie. */
  alive(pid: number): Promise<boolean>;
  /** The process's command line (arguments joined by spaces), or undefined when it is gone. */
  commandLine(pid: number): Promise<string | undefined>;
  signal(pid: number, signal: NodeJS.Signals): void;
}

/** The machine's process table, read from /proc (Linux). */
export const procProcessTable: ProcessTable = {
  async alive(pid) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Field 3, after the parenthesised command name (which may itself contain spaces).
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  },
  async commandLine(pid) {
    try {
      return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ').trim();
    } catch {
      return undefined;
    }
  },
  signal(pid, signal) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  },
};

export const KEEPER_PID_FILE = 'postgres-keeper.pid';
export const LOCK_FILE = 'postmaster.pid';

async function firstLinePid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).split('\n')[0]?.trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitGone(procs: ProcessTable, pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await procs.alive(pid))) return true;
    await sleep(100);
  }
  return !(await procs.alive(pid));
}

export interface RecoveryOptions {
  stackDir: string;
  /** Absolute path of the data directory. */
  dataDir: string;
  procs: ProcessTable;
  log: (line: string) => void;
  /** The caller's own pid (a keeper never refuses itself). */
  selfPid: number;
}

/** What recovery did; `none` when the directory was clean. */
export type RecoveryAction = 'none' | 'stopped-orphan' | 'removed-stale-lock';

export async function recoverDataDir(options: RecoveryOptions): Promise<RecoveryAction> {
  const { procs, log, dataDir } = options;
  const keeperPid = await firstLinePid(path.join(options.stackDir, KEEPER_PID_FILE));
  if (keeperPid !== undefined && keeperPid !== options.selfPid && (await procs.alive(keeperPid)) && (await procs.commandLine(keeperPid))?.includes('postgres-keeper')) {
    throw new Error(`another npm start (postgres keeper pid ${keeperPid}) is using ${options.stackDir}; stop it first or set another STACK_DIR`);
  }
  const lock = path.join(dataDir, LOCK_FILE);
  const pid = await firstLinePid(lock);
  if (pid === undefined) return 'none';
  const cmd = (await procs.alive(pid)) ? await procs.commandLine(pid) : undefined;
  if (cmd !== undefined && cmd.includes('postgres') && ` ${cmd} `.includes(` -D ${dataDir} `)) {
    log(`stopping an orphaned postgres (pid ${pid}) left by a previous run`);
    // SIGINT is PostgreSQL's fast shutdown: clients are cut, data is flushed cleanly.
    procs.signal(pid, 'SIGINT');
    if (!(await waitGone(procs, pid, 15_000))) {
      log(`postgres pid ${pid} ignored the fast shutdown; sending SIGQUIT then SIGKILL`);
      procs.signal(pid, 'SIGQUIT');
      if (!(await waitGone(procs, pid, 5_000))) {
        procs.signal(pid, 'SIGKILL');
        await waitGone(procs, pid, 5_000);
      }
    }
    await rm(lock, { force: true });
    return 'stopped-orphan';
  }
  log(`removing a stale ${LOCK_FILE} (pid ${pid} ${cmd === undefined ? 'is gone' : 'is not this postgres'})`);
  await rm(lock, { force: true });
  return 'removed-stale-lock';
}
