/**
 * The comparison proxy: http-proxy-3 with a keep-alive agent (the usual Node reverse proxy).
 * Usage: node http-proxy-server.js <port> <target url>
 */
import http from 'node:http';
import { createProxyServer } from 'http-proxy-3';

const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
const proxy = createProxyServer({ target: process.argv[3], agent, xfwd: true });
proxy.on('error', (_err: Error, _req: unknown, res: unknown) => {
  const r = res as http.ServerResponse;
  if (typeof r.writeHead === 'function' && !r.headersSent) r.writeHead(502).end();
});
const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => proxy.web(req, res));
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('READY\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
