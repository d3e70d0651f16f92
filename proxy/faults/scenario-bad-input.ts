/**
 * Scenario 8: bad input at the client port and the admin port, on raw sockets. Each probe must get
 * a 4xx or a closed connection (never a 2xx/5xx, never a hang); afterwards the upstreams must have
 * received nothing at all (no smuggled request, no half request), and the proxy must still serve.
 */
import net from 'node:net';
import { ADMIN_TOKEN, startProxy, startUpstream } from './fault-processes.js';
import { proxyEnv, writeFlags, type Row, type SuiteOptions } from './fault-stage.js';

interface Probe {
  name: string;
  port: 'client' | 'admin';
  /** Written in order, `gapMs` apart. */
  parts: (string | Buffer)[];
  gapMs?: number;
  /** The answer must be exactly this status (else any 4xx or a close). */
  status?: number;
}

const H = 'Host: a\r\n';
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
const P = 'POST /api/v1/ml/predict HTTP/1.1\r\n';

function probes(): Probe[] {
  const client = (name: string, parts: (string | Buffer)[], extra: Partial<Probe> = {}): Probe => ({ name, port: 'client', parts, ...extra });
  const admin = (name: string, parts: string[], status?: number): Probe => ({ name, port: 'admin', parts, ...(status ? { status } : {}) });
  return [
    client('CL + TE (CL.TE smuggling)', [`${P}${H}Content-Length: ${5 + SMUGGLED.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`]),
    client('TE: xchunked', [`${P}${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`]),
    client('TE: chunked, identity', [`${P}${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`]),
    client('TE with space before colon', [`${P}${H}Transfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n${SMUGGLED}`]),
    client('two TE headers', [`${P}${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n${SMUGGLED}`]),
    client('duplicate Content-Length', [`${P}${H}Content-Length: 2\r\nContent-Length: ${2 + SMUGGLED.length}\r\n\r\n{}${SMUGGLED}`]),
    client('Content-Length: +2', [`${P}${H}Content-Length: +2\r\n\r\n{}`]),
    client('bad chunk size', [`${P}${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`]),
    client('chunk size overflow', [`${P}${H}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n{}\r\n0\r\n\r\n`]),
    client('oversized header (20 KiB)', [`GET /api/v1/ml/models HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_480)}\r\n\r\n`], { status: 431 }),
    client('too many headers (3,000)', [`GET /api/v1/ml/models HTTP/1.1\r\n${H}${'X-A: b\r\n'.repeat(3_000)}\r\n`], { status: 400 }),
    client('absolute-form target', [`GET http://evil.example/smuggled HTTP/1.1\r\n${H}\r\n`], { status: 400 }),
    client('declared body over CLIENT_BODY_LIMIT_BYTES', [`${P}${H}Content-Type: application/json\r\nContent-Length: 209715200\r\n\r\n{`], { status: 413 }),
    client('chunked body over CLIENT_BODY_LIMIT_BYTES', [`${P}${H}Transfer-Encoding: chunked\r\n\r\n`, ...Array.from({ length: 40 }, () => `10000\r\n${'a'.repeat(65_536)}\r\n`)], { gapMs: 5 }),
    client('slow headers (slowloris)', ['GET /api/v1/ml/models HTTP/1.1\r\n', ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: 1\r\n`)], { gapMs: 250 }),
    client('NUL in a header value', [`GET /api/v1/ml/models HTTP/1.1\r\n${H}X-A: a\u0000b\r\n\r\n`], { status: 400 }),
    client('garbage request line', ['GARBAGE\r\n\r\n'], { status: 400 }),
    admin('admin: no token', ['GET /status HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'], 401),
    admin('admin: wrong token', ['GET /status HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer wrong-token-0000\r\nConnection: close\r\n\r\n'], 401),
    admin('admin: token in the query', [`GET /status?token=${ADMIN_TOKEN} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`], 401),
    admin('admin: token with a different case', [`POST /reload HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${ADMIN_TOKEN.toUpperCase()}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`], 401),
    admin('admin: CL + TE', [`POST /reload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`]),
    admin('admin: oversized header', [`GET /health HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_480)}\r\n\r\n`], 431),
  ];
}

/** Send a probe; resolves with the first status code (or null) and whether the server closed. */
function send(port: number, probe: Probe, timeoutMs: number): Promise<{ status: number | null; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      resolve({ status: m ? Number(m[1]) : null, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (/^HTTP\/1\.1 \d{3}/.test(data) && data.includes('\r\n\r\n')) setTimeout(() => finish(socket.destroyed), 50);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      for (const part of probe.parts) {
        if (socket.destroyed || done) return;
        socket.write(part);
        if (probe.gapMs) await new Promise((r) => setTimeout(r, probe.gapMs));
      }
    });
  });
}

export async function badInput(options: SuiteOptions): Promise<Row> {
  const { dir } = options;
  const legacy = await startUpstream('legacy');
  const candidate = await startUpstream('candidate');
  const headersTimeoutMs = 2_000;
  const proxy = await startProxy('s8-bad-input', dir, proxyEnv(dir, legacy, candidate, {
    UNLEASH_BOOTSTRAP: writeFlags(dir, 50, 100),
    CLIENT_BODY_LIMIT_BYTES: '1048576',
    CLIENT_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
  }));
  try {
    const before = proxy.rss();
    const problems: string[] = [];
    const list = probes();
    const ports = { client: Number(new URL(proxy.url).port), admin: Number(new URL(proxy.adminUrl).port) };
    const answers: string[] = [];
    for (const probe of list) {
      const slow = probe.gapMs !== undefined;
      const started = Date.now();
      const got = await send(ports[probe.port], probe, slow ? 20_000 : 5_000);
      const ms = Date.now() - started;
      const okStatus = probe.status !== undefined ? got.status === probe.status : got.status === null ? got.closed : got.status >= 400 && got.status < 500;
      const okClose = probe.status === undefined && got.status === null && got.closed;
      if (!(okStatus || okClose)) problems.push(`${probe.name}: got ${got.status ?? 'no answer'}${got.closed ? ', closed' : ', left open'}`);
      answers.push(`${probe.name}: ${got.status ?? (got.closed ? 'closed' : 'open')}${slow ? ` after ${ms} ms` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 500));
    const seen = await Promise.all([legacy.seen(), candidate.seen()]);
    const reached = seen.flatMap((s) => [...s.paths, ...s.served.map((id) => `served ${id}`)]);
    if (reached.length > 0) problems.push(`reached an upstream: ${reached.slice(0, 5).join(', ')}`);
    const health = await fetch(`${proxy.adminUrl}/health`).then((r) => r.status).catch(() => 0);
    const normal = await fetch(`${proxy.url}/api/v1/ml/predict`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'after-probes' }, body: '{}' })
      .then(async (r) => (r.status === 200 && (await r.text()).includes('after-probes')))
      .catch(() => false);
    if (health !== 200 || !normal) problems.push('the proxy does not serve after the probes');
    options.log(answers.map((a) => `  ${a}`).join('\n'));
    return {
      scenario: `8 bad input (${list.length} probes)`,
      requests: list.length,
      failures: 0,
      nonIdempotentFailures: 0,
      lost: 0,
      duplicated: 0,
      mirrored: 0,
      reasons: [],
      recovery: '-',
      rssBefore: before,
      rssAfter: proxy.rss(),
      note: `${list.length - problems.length}/${list.length} got a 4xx or a close; 0 bytes reached upstreams: ${reached.length === 0}; alive: ${health === 200 && normal}`,
      problems,
    };
  } finally {
    await proxy.close();
    await Promise.all([legacy.close(), candidate.close()]);
  }
}
