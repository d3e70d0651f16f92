/**
 * A real upstream process for the fault suite: `node fault-upstream.js <name> <port> <controlPort>`.
 * It answers every request with `{"id":<x-request-id>,"ok":true}` (Content-Length set), and fails
 * on command; a second port takes the commands, so it stays reachable while the service is "down":
 *
 *   POST /mode/<mode>   normal | down | hang | slow:<ms> | 5xx | garbage | reset-before-head |
 *                       reset-after-head | truncated | stall-body
 *   GET  /seen          {"served":[ids…],"shadow":<count>,"paths":[…]} since the last call (then
 *                       cleared); paths: the first 1,000 request targets other than the two routes
 *
 * Served ids (requests without X-Shadow-Request) are what the suite counts duplicates and losses
 * with; mirrored ones only add to the shadow count.
 */
import http from 'node:http';
import type { Socket } from 'node:net';

const [name = 'upstream', portArg = '0', controlArg = '0'] = process.argv.slice(2);
let mode = 'normal';
let served: string[] = [];
let shadow = 0;
let paths: string[] = [];
const ROUTES = new Set(['/api/v1/ml/predict', '/api/v1/ml/detect_anomaly']);
const sockets = new Set<Socket>();

function answer(req: http.IncomingMessage, res: http.ServerResponse, id: string): void {
  const body = JSON.stringify({ id, ok: true });
  const head = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'x-upstream': name };
  const partial = () => {
    res.writeHead(200, { ...head, 'content-length': String(body.length + 32) });
    res.write(body.slice(0, 8));
  };
  if (mode === 'normal') {
    res.writeHead(200, head);
    res.end(body);
  } else if (mode.startsWith('slow:')) {
    setTimeout(() => {
      if (res.destroyed) return;
      res.writeHead(200, head);
      res.end(body);
    }, Number(mode.slice(5)));
  } else if (mode === '5xx') {
    res.writeHead(503, { 'content-type': 'application/json' });
    res.end('{"detail":"candidate broken"}');
  } else if (mode === 'garbage') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"id": oops');
  } else if (mode === 'reset-before-head') {
    req.socket.resetAndDestroy();
  } else if (mode === 'reset-after-head' || mode === 'truncated') {
    partial();
    const how = mode;
    setTimeout(() => (how === 'truncated' ? req.socket.destroySoon() : req.socket.resetAndDestroy()), 5);
  } else if (mode === 'stall-body') {
    partial();
  }
  // hang: nothing
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const id = String(req.headers['x-request-id'] ?? '');
  const mirrored = req.headers['x-shadow-request'] === '1';
  if (!ROUTES.has(req.url ?? '') && paths.length < 1_000) paths.push(`${req.method} ${req.url}`);
  req.resume();
  req.on('end', () => {
    if (mirrored) shadow += 1;
    else served.push(id);
    answer(req, res, id);
  });
});
server.on('connection', (s: Socket) => {
  sockets.add(s);
  s.once('close', () => sockets.delete(s));
});

function listen(): Promise<void> {
  return new Promise((resolve) => server.listen(Number(portArg), '127.0.0.1', () => resolve()));
}

const control = http.createServer((req, res) => {
  const url = req.url ?? '/';
  void (async () => {
    if (req.method === 'POST' && url.startsWith('/mode/')) {
      const next = decodeURIComponent(url.slice(6));
      if (next === 'down' && mode !== 'down') {
        server.close();
        for (const s of sockets) s.destroy();
      } else if (next !== 'down' && mode === 'down') await listen();
      mode = next;
      res.end(JSON.stringify({ mode }));
    } else if (url === '/seen') {
      const out = JSON.stringify({ served, shadow, paths });
      served = [];
      shadow = 0;
      paths = [];
      res.setHeader('content-type', 'application/json');
      res.end(out);
    } else {
      res.statusCode = 404;
      res.end();
    }
  })();
});

await listen();
control.listen(Number(controlArg), '127.0.0.1', () => process.stdout.write(`ready ${name}\n`));
process.on('SIGTERM', () => process.exit(0));
// The suite's process gone (killed): go too.
process.on('disconnect', () => process.exit(0));
