import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';
import { listen, silentLogger } from '../src/index.js';
import { http as get } from '../src/testkit/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function slowServer(): http.Server {
  return http.createServer((req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? '0');
    setTimeout(() => res.end(`slept ${ms}`), ms);
  });
}

describe('graceful shutdown', function () {
  it('lets an in-flight 300 ms request finish, then refuses new connections', async function () {
    const running = await listen(slowServer(), { port: 0, host: '127.0.0.1', logger: silentLogger() });
    const inflight = get(`${running.url}/?ms=300`);
    await sleep(50);
    const closing = running.close();
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.equal(res.text, 'slept 300');
    await closing;
    await assert.rejects(get(`${running.url}/`), /ECONNREFUSED/);
  });

  it('closes idle keep-alive connections at once instead of waiting for their timeout', async function () {
    const running = await listen(slowServer(), { port: 0, host: '127.0.0.1', logger: silentLogger() });
    const agent = new Agent({ keepAliveTimeout: 60_000 });
    const { request } = await import('undici');
    const r = await request(`${running.url}/`, { dispatcher: agent });
    await r.body.text();
    const t0 = Date.now();
    await running.close();
    assert.ok(Date.now() - t0 < 1_000, `close took ${Date.now() - t0} ms`);
    await agent.close();
  });

  it('cuts requests still running at the deadline and still runs close hooks', async function () {
    let hookRan = false;
    const running = await listen(slowServer(), {
      port: 0,
      host: '127.0.0.1',
      shutdownTimeoutMs: 200,
      logger: silentLogger(),
      onClose: [() => void (hookRan = true)],
    });
    const inflight = get(`${running.url}/?ms=5000`).then(
      () => 'answered',
      () => 'cut',
    );
    await sleep(50);
    const t0 = Date.now();
    await running.close();
    assert.ok(Date.now() - t0 < 2_000);
    assert.equal(await inflight, 'cut');
    assert.equal(hookRan, true);
  });

  it('a real process finishes its in-flight request on SIGTERM and exits 0', async function () {
    const child = spawn(process.execPath, [path.join(here, 'fixtures/slow-service.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\/\/[0-9.:]+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const inflight = get(`${url}/?ms=400`);
    await sleep(100);
    child.kill('SIGTERM');
    const res = await inflight;
    assert.equal(res.text, 'slept 400');
    assert.equal(await exited, 0);
    assert.match(out, /pool closed/);
  });
});
