/**
 * The benchmark's upstream: a plain Node server answering every request with the same small JSON
 * (about the size of a predict answer), in its own process so it does not share an event loop with
 * the proxy under test. Usage: node bench-upstream.js <port>
 */
import http from 'node:http';

const body = Buffer.from(JSON.stringify({ prediction: 0, label: 'No Failure', confidence: 0.9731, model_version: '1', request_id: 'bench' }));
const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
    res.end(body);
  });
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('READY\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
