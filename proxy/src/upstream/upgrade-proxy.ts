/**
 * Upgrade requests (WebSocket, or any `Upgrade:` protocol) are tunnelled to the route's legacy
 * upstream: the request head is re-sent on a fresh TCP connection (with the forwarding headers)
 * and the two sockets are piped together. A long-lived byte stream has nothing to split or fall
 * back on. If the upstream answers without switching protocols, that answer reaches the client
 * as is, so a server that ignores `Upgrade` looks the same through the proxy as direct.
 * Tunnels are tracked so close() can end them (a graceful server close leaves them open).
 */
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { requestIdFrom, type Logger } from '@smp/platform';
import type { RouteSource } from '../routing/route-source.js';
import { upstreamRequestHeaders } from './forward-headers.js';
import { UNAVAILABLE_REPLY } from './upstream-error.js';

export class UpgradeProxy {
  private readonly sockets = new Set<Duplex>();

  constructor(
    private readonly routes: RouteSource,
    private readonly logger: Logger,
    private readonly connectTimeoutMs: number,
  ) {}

  readonly handle = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const route = this.routes.current.match(req.method ?? 'GET', q === -1 ? url : url.slice(0, q));
    const target = new URL(route.legacy.url);
    const headers = upstreamRequestHeaders(req, { requestId: requestIdFrom(req.headers), clientIp: req.socket.remoteAddress });
    headers.push('Connection', 'Upgrade', 'Upgrade', String(req.headers.upgrade ?? ''));
    let text = `${req.method} ${target.pathname.replace(/\/+$/, '')}${url} HTTP/1.1\r\n`;
    for (let i = 0; i < headers.length; i += 2) text += `${headers[i]}: ${headers[i + 1]}\r\n`;
    text += '\r\n';

    const upstream = net.connect({ host: target.hostname, port: Number(target.port || 80), timeout: this.connectTimeoutMs });
    this.sockets.add(socket);
    this.sockets.add(upstream);
    let answered = false;
    const end = () => {
      socket.destroy();
      upstream.destroy();
      this.sockets.delete(socket);
      this.sockets.delete(upstream);
    };
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      upstream.write(text);
      if (head.length > 0) upstream.write(head);
      upstream.once('data', () => (answered = true));
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.once('timeout', () => upstream.destroy(new Error('connect timeout')));
    upstream.on('error', (err) => {
      this.logger.warn('upgrade tunnel failed', { route: route.id, error: err.message });
      if (!answered && socket.writable) {
        answered = true;
        socket.end(
          `HTTP/1.1 ${UNAVAILABLE_REPLY.status} Bad Gateway\r\ncontent-type: application/json\r\ncontent-length: ${UNAVAILABLE_REPLY.body.length}\r\nconnection: close\r\n\r\n${UNAVAILABLE_REPLY.body.toString()}`,
        );
        this.sockets.delete(socket);
        upstream.destroy();
      } else end();
    });
    upstream.once('close', end);
    socket.on('error', end);
    socket.once('close', end);
  };

  close(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }
}
