/**
 * One keep-alive undici Pool per upstream (`legacy`, `prediction`, `anomaly`), made once at start:
 * upstream URLs come from the environment and do not change on a route reload. A base URL may carry
 * a path (`http://10.0.0.5:8001/svc`), which is prefixed to every forwarded path.
 */
import { Pool } from 'undici';

export interface PoolOptions {
  connections: number;
  connectTimeoutMs: number;
}

/** One upstream: its pool and the path prefix of its base URL (`''` for none). */
export interface Upstream {
  readonly name: string;
  readonly url: string;
  readonly pool: Pool;
  readonly basePath: string;
}

export class UpstreamPools {
  private readonly upstreams = new Map<string, Upstream>();

  constructor(urls: Readonly<Record<string, string>>, options: PoolOptions) {
    for (const [name, url] of Object.entries(urls)) {
      const u = new URL(url);
      const pool = new Pool(u.origin, {
        connections: options.connections,
        connect: { timeout: options.connectTimeoutMs },
        pipelining: 1,
        // Keep idle sockets open a while: reconnecting costs more than the request.
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
      });
      this.upstreams.set(name, { name, url, pool, basePath: u.pathname.replace(/\/+$/, '') });
    }
  }

  /** The upstream by name; route tables are validated against these names, so it exists. */
  get(name: string): Upstream {
    const upstream = this.upstreams.get(name);
    if (upstream === undefined) throw new Error(`unknown upstream ${name}`);
    return upstream;
  }

  async close(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((u) => u.pool.destroy().catch(() => undefined)));
  }
}
