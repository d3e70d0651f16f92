/**
 * Redis clients that degrade instead of crashing: commands fail fast while Redis is down (no
 * unbounded offline queue), errors are logged at most once per outage, and the client keeps
 * reconnecting in the background. Callers catch a failed command and fall back.
 */
import { Redis } from 'ioredis';
import type { Closer } from '../lifecycle.js';
import type { Logger } from '../logger.js';

export { Redis };

export interface RedisOptions {
  keyPrefix?: string;
  /** Name shown in logs. */
  name?: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

export function createRedis(url: string, logger: Logger, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    keyPrefix: options.keyPrefix ?? '',
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    retryStrategy: (times) => Math.min(200 * times, 2_000),
  });
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) logger.warn('redis unavailable', { redis: options.name ?? 'redis', error: err.message });
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info('redis reconnected', { redis: options.name ?? 'redis' });
    down = false;
  });
  return client;
}

/** How long a service's start waits for Redis by default before serving without it. */
export const REDIS_READY_TIMEOUT_MS = 2_000;

/**
 * Resolves true once `client` is ready, false when `timeoutMs` passed first; never rejects. The
 * client keeps reconnecting either way, so a start can wait briefly (the first requests then
 * already share state through Redis) and still serve, degraded, while Redis is down:
 *
 *   if (!(await waitForRedis(client))) logger.warn('redis not ready at start', { timeout_ms: REDIS_READY_TIMEOUT_MS });
 */
export function waitForRedis(client: Redis, timeoutMs = REDIS_READY_TIMEOUT_MS): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    client.once('ready', onReady);
  });
}

export interface ServiceRedisOptions extends RedisOptions {
  /** Closes the client on shutdown (registered before the wait, so a failed start closes it too). */
  closer: Closer;
  /** Default REDIS_READY_TIMEOUT_MS. */
  readyTimeoutMs?: number;
  /** The warning when Redis was not ready in time: say what runs degraded until it is. */
  notReadyMessage?: string;
}

/**
 * A service start's Redis: created (degrading, never crashing), closed by `closer`, waited for
 * briefly; when it is not ready in time a warning is logged and the start goes on without it:
 *
 *   const redis = config.REDIS_URL ? await openRedis(config.REDIS_URL, logger, { closer, keyPrefix: config.REDIS_KEY_PREFIX, name: SERVICE }) : null;
 */
export async function openRedis(url: string, logger: Logger, options: ServiceRedisOptions): Promise<Redis> {
  const { closer, readyTimeoutMs = REDIS_READY_TIMEOUT_MS, notReadyMessage, ...clientOptions } = options;
  const client = createRedis(url, logger, clientOptions);
  closer.add('redis', () => closeRedis(client));
  if (!(await waitForRedis(client, readyTimeoutMs))) {
    logger.warn(notReadyMessage ?? 'redis not ready at start, serving without it until it is', { timeout_ms: readyTimeoutMs });
  }
  return client;
}

/** Close a client whether or not it is connected. */
export async function closeRedis(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
