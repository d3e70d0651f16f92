/**
 * Attempt (upstream/attempt.ts): an attempt cancelled while it waits for one of the pool's
 * connections (its head deadline passed, the fallback went ahead) must not cost the connection it
 * is handed later. undici's abort() destroys that socket; under a stalling candidate every expired
 * queued request then closed a good keep-alive connection. Real server, real undici Pool.
 */
import { strict as assert } from 'node:assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { Attempt, type AttemptOwner } from '../src/upstream/attempt.js';

function recorder(): AttemptOwner & { events: string[]; settled: Promise<void> } {
  let settle!: () => void;
  const settled = new Promise<void>((r) => (settle = r));
  const events: string[] = [];
  return {
    events,
    settled,
    head: (_a, status) => (events.push(`head ${status}`), true),
    chunk: () => true,
    end: () => (events.push('end'), settle()),
    fail: (_a, err) => (events.push(`fail ${(err as { code?: string }).code ?? err.message}`), settle()),
  };
}

describe('Attempt', () => {
  let server: http.Server;
  let pool: Pool;
  let connections = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      setTimeout(() => res.end('ok'), req.url === '/slow' ? 300 : 0);
    });
    server.on('connection', () => (connections += 1));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 1, pipelining: 1 });
  });

  after(async () => {
    await pool.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('cancelled while queued for a connection: fails on its deadline, and the connection it is handed later stays open', async () => {
    const first = recorder();
    pool.dispatch({ path: '/slow', method: 'GET' }, new Attempt(first, 'candidate'));
    const queued = recorder();
    // 50 ms: long before the slow answer frees the pool's only connection.
    pool.dispatch({ path: '/fast', method: 'GET' }, new Attempt(queued, 'candidate', 50));
    await queued.settled;
    assert.deepEqual(queued.events, ['fail UND_ERR_HEADERS_TIMEOUT']);
    await first.settled;
    assert.deepEqual(first.events, ['head 200', 'end']);
    const third = recorder();
    pool.dispatch({ path: '/fast', method: 'GET' }, new Attempt(third, 'candidate'));
    await third.settled;
    assert.deepEqual(third.events, ['head 200', 'end']);
    assert.equal(connections, 1, 'the expired queued attempt closed the keep-alive connection');
  });
});
