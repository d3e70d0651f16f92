import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KEEPER_PID_FILE, LOCK_FILE, recoverDataDir, type ProcessTable, type RecoveryAction } from '../src/postgres-recovery.js';

/** A process table with the given processes; any signal ends a process at once. */
function fakeProcesses(procs: Record<number, { cmd: string }>) {
  const signals: string[] = [];
  const table: ProcessTable = {
    alive: async (pid) => pid in procs,
    commandLine: async (pid) => procs[pid]?.cmd,
    signal(pid, signal) {
      signals.push(`${pid}:${signal}`);
      delete procs[pid];
    },
  };
  return { table, signals };
}

describe('clearing what a killed run left in the embedded PostgreSQL data directory', function () {
  this.timeout(30_000);
  let stackDir: string;
  let dataDir: string;
  beforeEach(async function () {
    stackDir = await mkdtemp(path.join(tmpdir(), 'pg-recovery-'));
    dataDir = path.join(stackDir, 'postgres');
    await mkdir(dataDir);
  });
  afterEach(async function () {
    await rm(stackDir, { recursive: true, force: true });
  });

  const PG = (dir: string) => `/x/bin/postgres -D ${dir} -p 5433 -c listen_addresses=127.0.0.1`;
  const cases: Array<{
    name: string;
    lockPid?: number;
    keeperPid?: number;
    procs: (dir: string) => Record<number, { cmd: string }>;
    action: RecoveryAction;
    signals: string[];
  }> = [
    { name: 'no lock file: nothing to do', procs: () => ({}), action: 'none', signals: [] },
    { name: 'lock of pid 4242 that no longer runs: the lock is removed', lockPid: 4242, procs: () => ({}), action: 'removed-stale-lock', signals: [] },
    { name: 'lock of pid 4242 now reused by an editor: the lock is removed, the editor untouched', lockPid: 4242, procs: () => ({ 4242: { cmd: 'vim notes.txt' } }), action: 'removed-stale-lock', signals: [] },
    { name: 'lock of pid 4242 = a postgres of another data directory: not ours, lock removed, nothing signalled', lockPid: 4242, procs: () => ({ 4242: { cmd: PG('/elsewhere/data') } }), action: 'removed-stale-lock', signals: [] },
    { name: 'our postgres still running as pid 4242 (its keeper was SIGKILLed): stopped with SIGINT', lockPid: 4242, procs: (d) => ({ 4242: { cmd: PG(d) } }), action: 'stopped-orphan', signals: ['4242:SIGINT'] },
    { name: 'a dead keeper 77 beside an orphan: the orphan is stopped', lockPid: 4242, keeperPid: 77, procs: (d) => ({ 4242: { cmd: PG(d) } }), action: 'stopped-orphan', signals: ['4242:SIGINT'] },
  ];
  for (const c of cases) {
    it(c.name, async function () {
      if (c.lockPid !== undefined) await writeFile(path.join(dataDir, LOCK_FILE), `${c.lockPid}\n${dataDir}\n1700000000\n5433\n`);
      if (c.keeperPid !== undefined) await writeFile(path.join(stackDir, KEEPER_PID_FILE), `${c.keeperPid}\n`);
      const { table, signals } = fakeProcesses(c.procs(dataDir));
      const lines: string[] = [];
      const action = await recoverDataDir({ stackDir, dataDir, procs: table, log: (l) => lines.push(l), selfPid: 1 });
      assert.equal(action, c.action);
      assert.deepEqual(signals, c.signals);
      await assert.rejects(stat(path.join(dataDir, LOCK_FILE)), /ENOENT/);
      if (action !== 'none') assert.equal(lines.length, 1, lines.join('\n'));
    });
  }

  it('refuses to touch anything while another keeper (pid 900) still runs for the same STACK_DIR', async function () {
    await writeFile(path.join(stackDir, KEEPER_PID_FILE), '900\n');
    await writeFile(path.join(dataDir, LOCK_FILE), `4242\n${dataDir}\n`);
    const { table, signals } = fakeProcesses({ 900: { cmd: 'node /repo/scripts/dist/src/postgres-keeper.js' }, 4242: { cmd: PG(dataDir) } });
    await assert.rejects(
      recoverDataDir({ stackDir, dataDir, procs: table, log: () => undefined, selfPid: 1 }),
      /another npm start \(postgres keeper pid 900\) is using .*; stop it first or set another STACK_DIR/,
    );
    assert.deepEqual(signals, []);
    await stat(path.join(dataDir, LOCK_FILE));
  });
});
