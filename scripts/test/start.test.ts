import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually, freePort, http } from '@smp/platform/testkit';

const START = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/start.js');

interface Stack {
  child: ChildProcess;
  output: () => string;
  ports: Record<string, number>;
  exited: Promise<number | null>;
}

async function startStack(extraEnv: Record<string, string> = {}): Promise<Stack> {
  const ports = {
    PROXY_PORT: await freePort(),
    LEGACY_PORT: await freePort(),
    PREDICTION_PORT: await freePort(),
    ANOMALY_PORT: await freePort(),
  };
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, NO_COLOR: '1' };
  for (const [k, v] of Object.entries(ports)) env[k] = String(v);
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
  return { child, output: () => out, ports, exited };
}

async function assertAllDown(ports: Record<string, number>) {
  for (const [name, port] of Object.entries(ports)) {
    await eventually(() => assert.rejects(http(`http://127.0.0.1:${port}/health`), /ECONNREFUSED/, `${name} still answers`), 10_000);
  }
}

describe('npm start (the stack supervisor)', function () {
  this.timeout(180_000);

  it('brings every service up healthy, prints where each runs, and Ctrl-C stops them all with exit 0', async function () {
    const stack = await startStack();
    for (const [name, port] of Object.entries(stack.ports)) {
      const res = await http(`http://127.0.0.1:${port}/health`);
      assert.equal(res.status, 200, `${name} not healthy`);
      assert.match(stack.output(), new RegExp(`http://127\\.0\\.0\\.1:${port}`));
    }
    assert.match(stack.output(), /legacy-monolith\s+│/);
    stack.child.kill('SIGINT');
    assert.equal(await stack.exited, 0, stack.output());
    assert.match(stack.output(), /stack stopped/);
    await assertAllDown(stack.ports);
  });

  it('leaves no orphan when the supervisor itself is killed with SIGKILL', async function () {
    const stack = await startStack();
    stack.child.kill('SIGKILL');
    await stack.exited;
    await sleep(100);
    await assertAllDown(stack.ports);
  });

  it('refuses a bad PROXY_PORT with a message naming it and exit code 2', async function () {
    const child = spawn(process.execPath, [START], { env: { ...process.env, PROXY_PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(err, /PROXY_PORT: expected an integer/);
  });
});
