import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { Closer, closeRedis, createLogger, createRedis, openRedis, silentLogger, waitForRedis } from '../src/index.js';
import { createTestRedis, eventually } from '../src/testkit/index.js';

/** A logger whose JSON records can be read back. */
function recordingLogger() {
  const stream = new PassThrough();
  const records: Array<Record<string, unknown>> = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) records.push(JSON.parse(line));
  });
  return { logger: createLogger({ service: 'redis-test', stream }), records };
}

describe('waitForRedis', function () {
  it('resolves true for the test Redis, and at once for a client already ready', async function () {
    const client = createRedis(createTestRedis().url, silentLogger());
    try {
      assert.equal(await waitForRedis(client, 5_000), true);
      assert.equal(client.status, 'ready');
      assert.equal(await waitForRedis(client, 1), true);
    } finally {
      await closeRedis(client);
    }
  });

  it('resolves false after 300 ms for a Redis on port 1 (nothing listens), leaving no ready listener behind', async function () {
    const client = createRedis('redis://127.0.0.1:1', silentLogger(), { connectTimeoutMs: 100 });
    const listeners = client.listenerCount('ready');
    try {
      assert.equal(await waitForRedis(client, 300), false);
      assert.equal(client.listenerCount('ready'), listeners);
    } finally {
      client.disconnect();
    }
  });
});

describe('openRedis (a service start\'s Redis)', function () {
  it('returns a ready client on the test Redis, closed by the closer, with no warning', async function () {
    const { logger, records } = recordingLogger();
    const closer = new Closer();
    const client = await openRedis(createTestRedis().url, logger, { closer, name: 'svc' });
    assert.equal(client.status, 'ready');
    assert.equal(await client.ping(), 'PONG');
    await closer.closeAll();
    await eventually(() => assert.equal(client.status, 'end'));
    assert.deepEqual(records.filter((r) => r.level === 'warn'), []);
  });

  it('goes on after 200 ms without Redis (port 1), warning "drift limits are per process" with timeout_ms 200', async function () {
    const { logger, records } = recordingLogger();
    const closer = new Closer();
    const client = await openRedis('redis://127.0.0.1:1', logger, {
      closer,
      connectTimeoutMs: 100,
      readyTimeoutMs: 200,
      notReadyMessage: 'drift limits are per process',
    });
    try {
      assert.notEqual(client.status, 'ready');
      const warning = records.find((r) => r.message === 'drift limits are per process');
      assert.ok(warning, JSON.stringify(records));
      assert.equal(warning.timeout_ms, 200);
    } finally {
      // Closing a client that never connected only stops its reconnect timer (ioredis leaves the status as is).
      await closer.closeAll();
    }
  });
});
