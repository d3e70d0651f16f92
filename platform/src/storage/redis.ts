/**
 * Redis clients that degrade instead of crashing: commands fail fast while Redis is down (no
 * unbounded offline queue), errors are logged at most once per outage, and the client keeps
 * reconnecting in the background. Callers catch a failed command and fall back.
 */
import { Redis } from 'ioredis';
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

/** Close a client whether or not it is connected. */
export async function closeRedis(client: Redis): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
