import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPgPool, silentLogger } from '@smp/platform';
import { createTestDatabase, eventually, freePort, http, type TestDatabase } from '@smp/platform/testkit';
import { migrationFlags, readUnleashCredentials, UnleashAdminClient } from '@smp/flags';
import { startTestUnleash, type TestUnleash } from '@smp/flags/test-unleash';
import { requestStart } from '@smp/flags/supervised-child';
import type { KeeperOptions, KeeperReady } from '../src/postgres-keeper.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const START = path.resolve(HERE, '../src/start.js');
const KEEPER = path.resolve(HERE, '../src/postgres-keeper.js');
const FLAGS_CLI = path.resolve(HERE, '../../../flags/dist/src/cli.js');

/** Variables of the test run's own environment that would change what the stack starts. */
const STACK_CHOICES = ['DATABASE_URL', 'REDIS_URL', 'UNLEASH_URL', 'UNLEASH_API_TOKEN', 'UNLEASH_ADMIN_TOKEN', 'UNLEASH_DATABASE_URL', 'ADMIN_TOKEN'];

interface Stack {
  child: ChildProcess;
  output: () => string;
  ports: Record<string, number>;
  exited: Promise<number | null>;
}

async function stackPorts(): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  for (const name of ['PROXY_PORT', 'LEGACY_PORT', 'PREDICTION_PORT', 'ANOMALY_PORT', 'ADMIN_PORT', 'UNLEASH_PORT', 'STACK_POSTGRES_PORT']) ports[name] = await freePort();
  return ports;
}

async function startStack(extraEnv: Record<string, string>, ports?: Record<string, number>): Promise<Stack> {
  const p = ports ?? (await stackPorts());
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const name of STACK_CHOICES) delete env[name];
  Object.assign(env, extraEnv);
  for (const [k, v] of Object.entries(p)) env[k] = String(v);
  const child = spawn(process.execPath, [START], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`stack exited early:\n${out}`);
      assert.match(out, /The stack is up:/);
    },
    120_000,
    100,
  );
  return { child, output: () => out, ports: p, exited };
}

/** Every port refuses connections (an open PostgreSQL port fails differently, so it counts as up). */
async function assertAllDown(ports: Record<string, number>) {
  for (const [name, port] of Object.entries(ports)) {
    await eventually(() => assert.rejects(http(`http://127.0.0.1:${port}/health`), /ECONNREFUSED/, `${name} still answers`), 15_000);
  }
}

/** The value printed on the summary line that starts with `label`. */
function summary(output: string, label: string): string {
  const m = new RegExp(`^  ${label.replace(/[()]/g, '\\$&')} +(.+)$`, 'm').exec(output.slice(output.indexOf('The stack is up:')));
  assert.ok(m, `no "${label}" line in the summary:\n${output}`);
  return m[1];
}

async function runFlagsCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [FLAGS_CLI, ...args], { env, timeout: 20_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : null, out: e.stdout + e.stderr };
  }
}

describe('npm start (the stack supervisor)', function () {
  this.timeout(180_000);

  describe('with a given PostgreSQL (DATABASE_URL) and Unleash (UNLEASH_URL)', function () {
    let db: TestDatabase;
    let unleash: TestUnleash;
    let stackDir: string;
    let given: Record<string, string>;

    before(async function () {
      [db, unleash, stackDir] = await Promise.all([
        createTestDatabase('stack'),
        startTestUnleash({ migrationFlags: false }),
        mkdtemp(path.join(tmpdir(), 'stack-given-')),
      ]);
      given = { DATABASE_URL: db.url, UNLEASH_URL: unleash.apiUrl, UNLEASH_API_TOKEN: unleash.clientToken, UNLEASH_ADMIN_TOKEN: unleash.adminToken, STACK_DIR: stackDir };
    });
    after(async function () {
      await unleash?.close();
      await db?.drop();
      if (stackDir) await rm(stackDir, { recursive: true, force: true });
    });

    it('brings every service up, creates the 8 migration flags on the given Unleash, prints the proxy and its admin URL with a generated token, and Ctrl-C stops all with exit 0', async function () {
      const stack = await startStack(given);
      const out = stack.output();
      for (const [name, port] of Object.entries(stack.ports).filter(([n]) => /^(PROXY|LEGACY|PREDICTION|ANOMALY)_PORT$/.test(n))) {
        const res = await http(`http://127.0.0.1:${port}/health`);
        assert.equal(res.status, 200, `${name} not healthy`);
        assert.match(out, new RegExp(`http://127\\.0\\.0\\.1:${port}`));
      }
      assert.match(out, /legacy-monolith\s+│/);
      assert.equal(summary(out, 'proxy'), `http://127.0.0.1:${stack.ports.PROXY_PORT}  (clients use this)`);
      const admin = /^http:\/\/127\.0\.0\.1:(\d+) {2}\(Authorization: Bearer (\S+)\)$/.exec(summary(out, 'proxy admin'));
      assert.ok(admin, summary(out, 'proxy admin'));
      assert.equal(Number(admin[1]), stack.ports.ADMIN_PORT);
      assert.ok(admin[2].length >= 32, 'a generated token of at least 32 characters');
      assert.equal((await http(`http://127.0.0.1:${admin[1]}/status`, { headers: { authorization: `Bearer ${admin[2]}` } })).status, 200);
      assert.equal((await http(`http://127.0.0.1:${admin[1]}/status`)).status, 401);
      assert.equal(summary(out, 'Unleash (given)'), unleash.url);
      assert.doesNotMatch(out, /starting postgres/, 'no embedded PostgreSQL with DATABASE_URL given');
      for (const f of migrationFlags()) assert.deepEqual([(await unleash.admin.flag(f.name)).enabled], [false], f.name);

      stack.child.kill('SIGINT');
      assert.equal(await stack.exited, 0, stack.output());
      assert.match(stack.output(), /stack stopped/);
      await assertAllDown(stack.ports);
    });

    it('leaves no orphan when the supervisor itself is killed with SIGKILL', async function () {
      const stack = await startStack(given);
      stack.child.kill('SIGKILL');
      await stack.exited;
      await sleep(100);
      await assertAllDown(stack.ports);
    });
  });

  it('runs its own PostgreSQL and Unleash under STACK_DIR; a SIGKILLed supervisor leaves neither behind; the next start clears a stale lock and keeps tokens, login and ramps', async function () {
    this.timeout(240_000);
    const stackDir = await mkdtemp(path.join(tmpdir(), 'stack-embedded-'));
    try {
      // Run 1: a fresh data directory (initdb), Unleash migrated from scratch, flags created.
      const first = await startStack({ STACK_DIR: stackDir });
      const out1 = first.output();
      assert.match(out1, /postgres +│ initialising a new database cluster/);
      assert.match(out1, /migration flags created \(off, 0%\): migrate\.ml-predict\.live, /);
      const databaseUrl = summary(out1, 'postgres');
      assert.match(databaseUrl, new RegExp(`^postgres://postgres:[^@]+@127\\.0\\.0\\.1:${first.ports.STACK_POSTGRES_PORT}/smp$`));
      const pool = createPgPool(databaseUrl, silentLogger(), { max: 1 });
      const dbs = (await pool.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname IN ('smp', 'unleash') ORDER BY 1")).rows.map((r) => r.datname);
      await pool.end();
      assert.deepEqual(dbs, ['smp', 'unleash']);
      const ui = /^(http:\/\/127\.0\.0\.1:(\d+)) {2}\(login (\S+) \/ (\S+)\)$/.exec(summary(out1, 'Unleash UI'));
      assert.ok(ui, summary(out1, 'Unleash UI'));
      assert.equal(Number(ui[2]), first.ports.UNLEASH_PORT);
      assert.equal((await http(`${ui[1]}/auth/simple/login`, { body: { username: ui[3], password: ui[4] } })).status, 200);
      const ramp = await runFlagsCli(['live', 'ml-predict', '20'], { STACK_DIR: stackDir });
      assert.equal(ramp.code, 0, ramp.out);

      first.child.kill('SIGKILL');
      await first.exited;
      await assertAllDown(first.ports);

      // A lock naming a live process that is not postgres (this test runner) must not block run 2.
      const lock = path.join(stackDir, 'postgres', 'postmaster.pid');
      await rm(lock, { force: true });
      await writeFile(lock, `${process.pid}\n${path.join(stackDir, 'postgres')}\n`);

      // Run 2: same ports, same data: nothing initialised or created again; the ramp is still there.
      const second = await startStack({ STACK_DIR: stackDir }, first.ports);
      const out2 = second.output();
      assert.match(out2, new RegExp(`removing a stale postmaster\\.pid \\(pid ${process.pid} is not this postgres\\)`));
      assert.doesNotMatch(out2, /initialising a new database cluster/);
      assert.match(out2, /all 8 migration flags present/);
      assert.equal(summary(out2, 'Unleash UI'), summary(out1, 'Unleash UI'), 'same URL and login across restarts');
      const creds = (await readUnleashCredentials(stackDir))!;
      const admin = new UnleashAdminClient({ url: creds.url, token: creds.adminToken });
      try {
        const live = await admin.flag('migrate.ml-predict.live');
        assert.deepEqual([live.enabled, live.rollout], [true, 20]);
      } finally {
        await admin.close();
      }
      second.child.kill('SIGINT');
      assert.equal(await second.exited, 0, second.output());
      await assertAllDown(second.ports);
    } finally {
      await rm(stackDir, { recursive: true, force: true });
    }
  });

  it('stops an orphaned postgres whose keeper was SIGKILLed before starting its own', async function () {
    this.timeout(120_000);
    const stackDir = await mkdtemp(path.join(tmpdir(), 'stack-orphan-'));
    const port = await freePort();
    const keeper = () => {
      const child = spawn(process.execPath, ['--no-deprecation', KEEPER], { stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
      let out = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const report = requestStart<KeeperOptions, KeeperReady>(child, { stackDir, port, databases: ['smp'], verbose: false }, 60_000);
      return { child, report, exited, output: () => out };
    };
    const portOpen = () => http(`http://127.0.0.1:${port}/`).then(
      () => true,
      (err: Error) => !/ECONNREFUSED/.test(err.message),
    );
    try {
      const a = keeper();
      await a.report;
      a.child.kill('SIGKILL');
      await a.exited;
      await sleep(300);
      assert.equal(await portOpen(), true, 'the orphaned postgres still listens');
      const orphanPid = Number((await readFile(path.join(stackDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);

      const b = keeper();
      assert.equal((await b.report).recovered, 'stopped-orphan', b.output());
      assert.match(b.output(), new RegExp(`stopping an orphaned postgres \\(pid ${orphanPid}\\) left by a previous run`));
      b.child.stdin!.end();
      assert.equal(await b.exited, 0);
      assert.equal(await portOpen(), false, 'postgres stopped with its keeper');
    } finally {
      await rm(stackDir, { recursive: true, force: true });
    }
  });

  const refusals: Array<[string, Record<string, string>, RegExp[]]> = [
    ['a bad PROXY_PORT', { PROXY_PORT: 'eighty' }, [/PROXY_PORT: expected an integer/]],
    ['UNLEASH_URL without its tokens', { UNLEASH_URL: 'http://127.0.0.1:4242/api' }, [/UNLEASH_API_TOKEN: required when UNLEASH_URL is given/, /UNLEASH_ADMIN_TOKEN: required when UNLEASH_URL is given/]],
    ['an ADMIN_TOKEN of 5 characters', { ADMIN_TOKEN: 'short' }, [/ADMIN_TOKEN: expected at least 8 characters/]],
  ];
  for (const [what, env, messages] of refusals) {
    it(`refuses ${what} with a message naming it and exit code 2`, async function () {
      const child = spawn(process.execPath, [START], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 2);
      for (const m of messages) assert.match(err, m);
    });
  }
});
