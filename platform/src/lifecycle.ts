/**
 * Lifecycle: every service is `start({port})` -> `{url, close}`, and `close()` is graceful:
 *  1. stop accepting connections,
 *  2. let in-flight requests finish (bounded by `shutdownTimeoutMs`), closing idle keep-alive
 *     sockets at once and busy ones as soon as their response is done,
 *  3. cut whatever is still open at the deadline,
 *  4. run the owner's `onClose` hooks (pools, timers, clients) in reverse order of registration.
 * `runMain` wires SIGTERM/SIGINT (and a closed supervisor pipe) to that and exits 0.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

/** A started service: where it listens and how to stop it (idempotent). */
export interface RunningService {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ListenOptions {
  port: number;
  host?: string;
  shutdownTimeoutMs?: number;
  /** Called after the server stopped, newest first: close pools, clients and timers here. */
  onClose?: Array<() => Promise<void> | void>;
  logger?: Logger;
}

/** Hooks that must run on close, in reverse order of registration. */
export class Closer {
  private readonly hooks: Array<{ name: string; fn: () => Promise<void> | void }> = [];
  add(name: string, fn: () => Promise<void> | void): void {
    this.hooks.push({ name, fn });
  }
  async closeAll(logger?: Logger): Promise<void> {
    while (this.hooks.length > 0) {
      const hook = this.hooks.pop()!;
      try {
        await hook.fn();
      } catch (err) {
        logger?.warn('close hook failed', { hook: hook.name, error: (err as Error).message });
      }
    }
  }
}

export async function listen(server: http.Server, options: ListenOptions): Promise<RunningService> {
  const host = options.host ?? '0.0.0.0';
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  // Requests currently being answered, per socket, so idle keep-alive sockets can be closed at once.
  const busy = new Map<import('node:net').Socket, number>();
  let closing = false;

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    if (closing) res.setHeader('Connection', 'close');
    res.once('close', () => {
      const n = (busy.get(socket) ?? 1) - 1;
      if (n <= 0) {
        busy.delete(socket);
        if (closing) socket.end();
      } else busy.set(socket, n);
    });
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${address.port}`;

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), shutdownTimeoutMs);
        timer.unref();
      });
      const outcome = await Promise.race([stopped.then(() => 'stopped' as const), deadline]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        options.logger?.warn('shutdown deadline reached, closing remaining connections', { open: busy.size });
        server.closeAllConnections();
        await stopped;
      }
      for (const hook of [...(options.onClose ?? [])].reverse()) {
        try {
          await hook();
        } catch (err) {
          options.logger?.warn('close hook failed', { error: (err as Error).message });
        }
      }
    })();
    return closed;
  };

  return { url, port: address.port, close };
}

export interface MainOptions {
  service: string;
  logger: Logger;
  /** Exit when stdin ends (the supervisor died): no orphans even after a SIGKILL of the parent. */
  supervised?: boolean;
}

/**
 * Run a service from `main.ts`: start it, log where it listens, and on SIGTERM/SIGINT close it
 * gracefully and exit 0 (1 if closing failed). A second signal exits at once.
 */
export async function runMain(start: () => Promise<RunningService>, options: MainOptions): Promise<void> {
  const { logger } = options;
  let running: RunningService;
  try {
    running = await start();
  } catch (err) {
    logger.error('failed to start', { error: (err as Error).message, stack: (err as Error).stack });
    // Let the log flush before exiting.
    setTimeout(() => process.exit(1), 50);
    return;
  }
  logger.info(`${options.service} listening on ${running.url}`, { url: running.url, port: running.port });

  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) {
      logger.warn('second stop request, exiting now', { reason });
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down', { reason });
    running
      .close()
      .then(() => {
        logger.info('stopped');
        setTimeout(() => process.exit(0), 20);
      })
      .catch((err: Error) => {
        logger.error('shutdown failed', { error: err.message });
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (options.supervised) {
    process.stdin.on('end', () => stop('supervisor gone'));
    process.stdin.on('error', () => stop('supervisor gone'));
    process.stdin.resume();
  }
}
