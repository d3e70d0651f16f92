/**
 * Serve a request listener (an express app or a raw handler) with the platform lifecycle:
 * keep-alive tuned for a proxy in front, graceful close, close hooks for the app's resources.
 */
import http from 'node:http';
import { listen, type Closer, type RunningService } from '../lifecycle.js';
import type { Logger } from '../logger.js';

export interface ServeOptions {
  port: number;
  host?: string;
  shutdownTimeoutMs?: number;
  logger: Logger;
  /** Resources the app owns, closed after the server stopped. */
  closer?: Closer;
}

export async function serve(listener: http.RequestListener, options: ServeOptions): Promise<RunningService> {
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 300_000 }, listener);
  // Longer than any proxy's idle timeout in front of us, so it never reuses a socket we just closed.
  server.headersTimeout = 66_000;
  try {
    return await listen(server, {
      port: options.port,
      host: options.host,
      shutdownTimeoutMs: options.shutdownTimeoutMs,
      logger: options.logger,
      onClose: options.closer ? [() => options.closer!.closeAll(options.logger)] : [],
    });
  } catch (err) {
    await options.closer?.closeAll(options.logger);
    throw err;
  }
}
