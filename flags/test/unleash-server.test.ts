import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { eventually, freePort, http } from '@smp/platform/testkit';
import { UnleashAdminClient, UnleashAdminError } from '../src/admin-client.js';
import { migrationFlags } from '../src/definitions.js';
import { startTestUnleash, type TestUnleash } from '../src/test-unleash.js';
import { writeUnleashCredentials } from '../src/unleash-credentials.js';

const execFileAsync = promisify(execFile);
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/cli.js');

describe('against a real Unleash 7.5 server (embedded, on its own database)', function () {
  this.timeout(60_000);
  let unleash: TestUnleash;

  before(async function () {
    this.timeout(120_000);
    unleash = await startTestUnleash();
  });
  after(async function () {
    await unleash?.close();
  });

  describe('the embedded server', function () {
    it('serves /health, the UI login page and the client API for the client token in development', async function () {
      assert.equal((await http(`${unleash.url}/health`)).status, 200);
      const login = await http(`${unleash.url}/auth/simple/login`, { body: unleash.uiLogin });
      assert.equal(login.status, 200, login.text);
      const features = await http(`${unleash.apiUrl}/client/features`, { headers: { authorization: unleash.clientToken } });
      assert.equal(features.status, 200);
      assert.deepEqual(
        features.json.features.map((f: { name: string }) => f.name).sort(),
        migrationFlags()
          .map((f) => f.name)
          .sort(),
      );
      const refused = await http(`${unleash.apiUrl}/client/features`, { headers: { authorization: '*:development.not-a-token' } });
      assert.equal(refused.status, 401);
    });
  });

  describe('the Admin API client', function () {
    const NAME = 'migrate.ml-models.live';

    it('created all 8 migration flags disabled, each with one flexibleRollout strategy at 0%, and ensureFlags again changes nothing', async function () {
      for (const def of migrationFlags()) {
        const s = await unleash.admin.flag(def.name);
        assert.equal(s.enabled, false, def.name);
        assert.equal(s.rollout, 0, def.name);
        assert.equal(s.otherStrategies, 0, def.name);
        assert.equal(s.description, def.description);
      }
      const again = await unleash.admin.ensureFlags(migrationFlags());
      assert.deepEqual(
        again.filter((r) => r.created || r.revived || r.strategyAdded),
        [],
      );
    });

    it('keeps a ramped flag as it is on ensureFlags (rollout 40%, on), as a restarted stack must', async function () {
      await unleash.admin.setRollout('migrate.ml-drift.shadow', 40);
      await unleash.admin.enable('migrate.ml-drift.shadow');
      await unleash.admin.ensureFlags(migrationFlags());
      const s = await unleash.admin.flag('migrate.ml-drift.shadow');
      assert.deepEqual([s.enabled, s.rollout], [true, 40]);
      await unleash.admin.disable('migrate.ml-drift.shadow');
    });

    it('sets rollout 0 -> 25 -> 100 and reads each back', async function () {
      for (const pct of [25, 100, 0]) {
        const s = await unleash.admin.setRollout(NAME, pct);
        assert.equal(s.rollout, pct);
      }
    });

    it('enables and disables in development, keeping the rollout', async function () {
      await unleash.admin.setRollout(NAME, 60);
      assert.equal((await unleash.admin.enable(NAME)).enabled, true);
      const off = await unleash.admin.disable(NAME);
      assert.deepEqual([off.enabled, off.rollout], [false, 60]);
    });

    it('sets variants v1 (90%) and v2@10 with JSON payloads, keeps them across a rollout change, and clears them', async function () {
      await unleash.admin.setVariants(NAME, [
        { name: 'v1', payload: { model_version: '1' } },
        { name: 'v2', payload: { model_version: '2' }, percent: 10 },
      ]);
      const s = await unleash.admin.setRollout(NAME, 35);
      assert.deepEqual(
        s.variants.map((v) => [v.name, v.weight, v.payload]),
        [
          ['v1', 900, { model_version: '1' }],
          ['v2', 100, { model_version: '2' }],
        ],
      );
      assert.equal(s.rollout, 35);
      assert.deepEqual((await unleash.admin.setVariants(NAME, [])).variants, []);
    });

    it('recreates an archived migration flag by reviving it', async function () {
      const archived = await http(`${unleash.url}/api/admin/projects/default/features/migrate.ml-anomaly.shadow`, { method: 'DELETE', headers: { authorization: unleash.adminToken } });
      assert.equal(archived.status, 202, archived.text);
      assert.equal(await unleash.admin.getFlag('migrate.ml-anomaly.shadow'), undefined);
      const results = await unleash.admin.ensureFlags(migrationFlags());
      assert.deepEqual(
        results.filter((r) => r.revived).map((r) => r.name),
        ['migrate.ml-anomaly.shadow'],
      );
      assert.equal((await unleash.admin.flag('migrate.ml-anomaly.shadow')).rollout, 0);
    });

    it('a change reaches unleash-client (client token, refresh 100 ms) at once: 100% on -> enabled for userId=61', async function () {
      const client = new Unleash({
        appName: 'flags-test',
        url: unleash.apiUrl,
        customHeaders: { authorization: unleash.clientToken },
        refreshInterval: 100,
        disableMetrics: true,
        storageProvider: new InMemStorageProvider(),
      });
      client.on('error', () => undefined);
      try {
        await new Promise((resolve) => client.once('synchronized', resolve));
        assert.equal(client.isEnabled('migrate.ml-predict.shadow', { userId: '61' }), false);
        await unleash.admin.setRollout('migrate.ml-predict.shadow', 100);
        await unleash.admin.enable('migrate.ml-predict.shadow');
        await eventually(() => assert.equal(client.isEnabled('migrate.ml-predict.shadow', { userId: '61' }), true), 5_000, 50);
      } finally {
        client.destroy();
        await unleash.admin.disable('migrate.ml-predict.shadow');
      }
    });

    const failures: Array<[string, () => Promise<unknown>, UnleashAdminError['code'], RegExp]> = [
      ['a missing flag', () => unleash.admin.flag('migrate.nothing.live'), 'NOT_FOUND', /flag migrate\.nothing\.live does not exist in project default/],
      ['rollout 150', () => unleash.admin.setRollout(NAME, 150), 'INVALID', /rollout must be an integer 0\.\.100, got 150/],
      ['a client token used as admin token', async () => {
        const c = new UnleashAdminClient({ url: unleash.apiUrl, token: unleash.clientToken });
        try {
          return await c.getFlag(NAME);
        } finally {
          await c.close();
        }
      }, 'FORBIDDEN', /answered 403.*UNLEASH_ADMIN_TOKEN must be an admin API token/],
      ['a made-up token', async () => {
        const c = new UnleashAdminClient({ url: unleash.url, token: '*:*.made-up' });
        try {
          return await c.getFlag(NAME);
        } finally {
          await c.close();
        }
      }, 'UNAUTHORIZED', /answered 401/],
      ['a port nobody listens on', async () => {
        const c = new UnleashAdminClient({ url: `http://127.0.0.1:${await freePort()}/api`, token: unleash.adminToken });
        try {
          return await c.getFlag(NAME);
        } finally {
          await c.close();
        }
      }, 'UNREACHABLE', /cannot reach Unleash at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/],
    ];
    for (const [what, call, code, message] of failures) {
      it(`fails with ${code} for ${what}`, async function () {
        await assert.rejects(call(), (err: Error) => {
          assert.ok(err instanceof UnleashAdminError, String(err));
          assert.equal(err.code, code);
          assert.match(err.message, message);
          return true;
        });
      });
    }
  });

  describe('the CLI (npm run flags -- …)', function () {
    let stackDir: string;
    before(async function () {
      stackDir = await mkdtemp(path.join(tmpdir(), 'flags-cli-'));
    });
    after(async function () {
      await rm(stackDir, { recursive: true, force: true });
    });

    const run = (args: string[], env: Record<string, string> = {}) =>
      runCli(args, { UNLEASH_URL: unleash.apiUrl, UNLEASH_ADMIN_TOKEN: unleash.adminToken, STACK_DIR: stackDir, ...env });

    it('live ml-predict 30: prints the flag on at 30% and what it means, exit 0', async function () {
      const r = await run(['live', 'ml-predict', '30']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        'migrate.ml-predict.live: on, rollout 30% in development\nml-predict: 30% of clients are served by prediction-service, the rest by the monolith\n',
      );
      const s = await unleash.admin.flag('migrate.ml-predict.live');
      assert.deepEqual([s.enabled, s.rollout], [true, 30]);
    });

    it('shadow ml-anomaly 100: the shadow flag on at 100%, exit 0', async function () {
      const r = await run(['shadow', 'ml-anomaly', '100']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^migrate\.ml-anomaly\.shadow: on, rollout 100% in development\nml-anomaly: 100% of requests are mirrored between the monolith and anomaly-service/);
    });

    it(`variant ml-predict v1='{"model_version":"1"}' v2@10='{"model_version":"2"}': lists both with their shares`, async function () {
      const r = await run(['variant', 'ml-predict', 'v1={"model_version":"1"}', 'v2@10={"model_version":"2"}']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        [
          'migrate.ml-predict.live: 2 variants (of the clients the live flag sends to prediction-service)',
          '  v1              90%  {"model_version":"1"}',
          '  v2              10%  {"model_version":"2"}',
          '',
        ].join('\n'),
      );
    });

    it('status: a row per route with live and shadow state and the live variants', async function () {
      const r = await run(['status']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Unleash ${unleash.url.replace(/[.]/g, '\\.')}, project default, environment development\n`));
      assert.match(r.stdout, /\nml-predict +on +30% +off +100% +v1 90% \{"model_version":"1"\} · v2 10% \{"model_version":"2"\}\n/);
      assert.match(r.stdout, /\nml-anomaly +off +0% +on +100% +-\n/);
      assert.doesNotMatch(r.stdout, /missing/);
    });

    it('off ml-predict: both flags off, percentages kept, exit 0', async function () {
      await run(['shadow', 'ml-predict', '50']);
      const r = await run(['off', 'ml-predict']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^migrate\.ml-predict\.live: off, rollout 30% in development \(kept for a later ramp\)\nmigrate\.ml-predict\.shadow: off, rollout 50% in development/);
      assert.equal((await unleash.admin.flag('migrate.ml-predict.live')).enabled, false);
      assert.equal((await unleash.admin.flag('migrate.ml-predict.shadow')).enabled, false);
    });

    it('uses the local stack credentials file when UNLEASH_URL and UNLEASH_ADMIN_TOKEN are unset', async function () {
      await writeUnleashCredentials(stackDir, { url: unleash.url, adminToken: unleash.adminToken, clientToken: unleash.clientToken, uiLogin: unleash.uiLogin });
      const r = await runCli(['status', 'ml-drift'], { STACK_DIR: stackDir });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\nml-drift +off +0% +off +40%/);
    });

    const refusals: Array<[string, string[], Record<string, string> | 'none', number, RegExp]> = [
      ['an unknown route', ['live', 'ml-nope', '10'], {}, 2, /^flags: unknown route "ml-nope"; routes: ml-predict, ml-models, ml-anomaly, ml-drift\nusage: npm run flags/],
      ['percent 101', ['live', 'ml-predict', '101'], {}, 2, /^flags: percent must be an integer 0\.\.100, got "101"/],
      ['a variant without valid JSON', ['variant', 'ml-predict', 'v2={model:2}'], {}, 2, /^flags: variant "v2": payload is not valid JSON/],
      ['a server that is not running', ['status'], { UNLEASH_URL: 'http://127.0.0.1:9/api' }, 1, /^flags: cannot reach Unleash at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)\n$/],
      ['a wrong admin token', ['live', 'ml-predict', '5'], { UNLEASH_ADMIN_TOKEN: '*:*.wrong' }, 1, /^flags: GET \/api\/admin\/projects\/default\/features\/migrate\.ml-predict\.live: Unleash answered 401/],
      ['UNLEASH_URL without a token', ['status'], { UNLEASH_URL: 'http://127.0.0.1:9/api', UNLEASH_ADMIN_TOKEN: '' }, 2, /^flags: UNLEASH_URL is set but UNLEASH_ADMIN_TOKEN is not/],
      ['no configuration and no local stack', ['status'], 'none', 2, /^flags: set UNLEASH_URL and UNLEASH_ADMIN_TOKEN, or start the local stack \(npm start\)/],
      ['UNLEASH_URL that is not a URL', ['status'], { UNLEASH_URL: 'unleash:4242' }, 2, /^flags: Invalid configuration: UNLEASH_URL: expected a URL \(http: or https:\)/],
    ];
    for (const [what, args, env, code, message] of refusals) {
      it(`exits ${code} with a message for ${what}`, async function () {
        const r = env === 'none' ? await runCli(args, { STACK_DIR: path.join(stackDir, 'nothing-here') }) : await run(args, env);
        assert.equal(r.code, code, `${r.stdout}${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(r.stdout, '');
      });
    }

    it('bootstrap prints the client-features document without any server', async function () {
      const r = await runCli(['bootstrap'], {});
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { version: number; features: unknown[] };
      assert.equal(doc.version, 2);
      assert.equal(doc.features.length, 8);
    });
  });

  describe('stopping', function () {
    it('stop() ends the server process with exit code 0 and its port refuses connections', async function () {
      await unleash.stop();
      assert.equal(await unleash.exited, 0);
      await assert.rejects(http(`${unleash.url}/health`), /ECONNREFUSED/);
    });
  });
});

/** Runs the compiled CLI with `args` and exactly `env`, collecting its output and exit code. */
async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], { env, timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : null, stdout: e.stdout, stderr: e.stderr };
  }
}
