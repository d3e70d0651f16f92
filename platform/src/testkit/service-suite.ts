/**
 * The skeleton contract every service of the stack keeps, as a reusable mocha suite:
 * starts on port 0 and answers /health, echoes or makes X-Request-ID, serves /metrics from its own
 * registry with route templates, closes cleanly, and its main.ts refuses bad configuration with a
 * message naming the variable (exit code 2).
 *
 *   describeServiceSkeleton({ service: SERVICE, parseConfig, start, mainScript, testDatabase: 'mono_skel' });
 * `testDatabase` runs the suite on a fresh, empty database of the test server (created before,
 * dropped after, its URL given to the service as DATABASE_URL).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { RunningService } from '../lifecycle.js';
import type { Env } from '../config.js';
import { createTestDatabase, http, type TestDatabase } from './index.js';

export interface ServiceSuiteOptions<C> {
  service: string;
  parseConfig: (env: Env) => C;
  start: (options: { config: C; port?: number }) => Promise<RunningService>;
  /** Absolute path of the compiled main.js. */
  mainScript: string;
  /** Extra environment the service needs to start (upstreams…); it wins over DATABASE_URL. */
  env?: () => Env | Promise<Env>;
  /** Run on a fresh test database (name prefix; `true`: "skel"), passed as DATABASE_URL and dropped after. */
  testDatabase?: string | true;
}

export function runProcess(script: string, env: Env, timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function describeServiceSkeleton<C>(options: ServiceSuiteOptions<C>): void {
  const title = options.testDatabase ? `${options.service} skeleton on a fresh test database` : `${options.service} skeleton`;
  describe(title, function () {
    let running: RunningService;
    let env: Env;
    let db: TestDatabase | undefined;

    before(async function () {
      if (options.testDatabase) db = await createTestDatabase(options.testDatabase === true ? 'skel' : options.testDatabase);
      env = { LOG_LEVEL: 'error', ...(db ? { DATABASE_URL: db.url } : {}), ...((await options.env?.()) ?? {}) };
      running = await options.start({ config: options.parseConfig(env), port: 0 });
    });
    after(async function () {
      await running?.close();
      await db?.drop();
    });

    it('starts on port 0 and answers GET /health with 200', async function () {
      assert.notEqual(running.port, 0);
      const res = await http(`${running.url}/health`);
      assert.equal(res.status, 200);
      assert.ok(['ok', 'healthy', 'degraded'].includes(res.json.status), `status was ${res.json.status}`);
    });

    it('echoes a client X-Request-ID and makes a UUIDv4 when none is sent', async function () {
      const echoed = await http(`${running.url}/health`, { headers: { 'x-request-id': 'abc-123' } });
      assert.equal(echoed.headers['x-request-id'], 'abc-123');
      const made = await http(`${running.url}/health`);
      assert.match(String(made.headers['x-request-id']), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('labels /metrics by route template, not raw path', async function () {
      await http(`${running.url}/no/such/route/42`);
      const res = await http(`${running.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.text, /http_requests_total\{[^}]*handler="\/health"/);
      assert.doesNotMatch(res.text, /\/no\/such\/route\/42/);
    });

    it('answers unknown routes with a JSON 404 detail', async function () {
      const res = await http(`${running.url}/definitely-not-here`);
      assert.equal(res.status, 404);
      assert.deepEqual(res.json, { detail: 'Not Found' });
    });

    it('main.ts refuses PORT=abc and LOG_LEVEL=loud naming both, exit code 2', async function () {
      const result = await runProcess(options.mainScript, { ...env, PORT: 'abc', LOG_LEVEL: 'loud' });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /PORT: expected an integer 0\.\.65535, got "abc"/);
      assert.match(result.stderr, /LOG_LEVEL: expected one of error, warn, info/);
    });
  });
}
