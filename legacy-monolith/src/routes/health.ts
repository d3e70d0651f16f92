/**
 * `/`, `/health`, `/health/db`, `/health/redis`: the legacy probes, which really ask PostgreSQL
 * and Redis. `/health` always answers 200 with `"degraded"` when a dependency fails, unless
 * HEALTHCHECK_ENFORCE_DEPENDENCIES makes it 503 with the same object under `detail`. Without
 * REDIS_URL the monolith runs on in-process state, and `/health` says `"redis":"failed"` so an
 * operator sees that replicas do not share rate limits and idempotency keys.
 */
import { AppError, legacyTimestamp, pingPg } from '@smp/platform';
import type { Express } from 'express';
import type { RouteContext } from '../app.js';

const PROBE_TIMEOUT_MS = 2_000;

async function withTimeout<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `used_memory_human` and friends from an INFO reply. */
export function parseRedisInfo(info: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of info.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

export function healthRoutes(app: Express, ctx: RouteContext): void {
  const { deps, config } = ctx;

  const dbOk = () =>
    withTimeout('PostgreSQL', pingPg(deps.pool)).then(
      () => true,
      (err: Error) => {
        deps.logger.warn('database health check failed', { error: err.message });
        return false;
      },
    );
  const redisOk = async () => {
    if (!deps.redis) return false;
    try {
      await withTimeout('Redis', deps.redis.ping());
      return true;
    } catch (err) {
      deps.logger.warn('redis health check failed', { error: (err as Error).message });
      return false;
    }
  };

  app.get('/', (_req, res) => {
    res.json({ message: 'Welcome to Smart Maintenance SaaS v0.1.0' });
  });

  app.get('/health', async (_req, res) => {
    const [db, redis] = await Promise.all([dbOk(), redisOk()]);
    const body = {
      status: db && redis ? 'ok' : 'degraded',
      database: db ? 'ok' : 'failed',
      redis: redis ? 'ok' : 'failed',
      timestamp: legacyTimestamp(ctx.now()),
    };
    if (body.status !== 'ok' && config.HEALTHCHECK_ENFORCE_DEPENDENCIES) throw new AppError('SERVICE_UNAVAILABLE', body);
    res.json(body);
  });

  app.get('/health/db', async (_req, res) => {
    try {
      await withTimeout('PostgreSQL', pingPg(deps.pool));
    } catch (err) {
      throw new AppError('SERVICE_UNAVAILABLE', `Database connection error: ${(err as Error).message}`);
    }
    res.json({ db_status: 'connected' });
  });

  app.get('/health/redis', async (_req, res) => {
    let info: Record<string, string>;
    try {
      if (!deps.redis) throw new Error('REDIS_URL is not set');
      const redis = deps.redis;
      const [pong, text] = await withTimeout('Redis', Promise.all([redis.ping(), redis.info()]));
      if (pong !== 'PONG') throw new Error(`unexpected PING reply ${pong}`);
      info = parseRedisInfo(text);
    } catch (err) {
      throw new AppError('SERVICE_UNAVAILABLE', `Redis connection error: ${(err as Error).message}`);
    }
    res.json({
      status: 'healthy',
      ping: true,
      memory_used: info.used_memory_human ?? 'unknown',
      connected_clients: info.connected_clients ?? '0',
    });
  });
}
