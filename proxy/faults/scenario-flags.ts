/**
 * Scenarios 2 and 3: flags from a real Unleash server (its own throw-away database on the test
 * PostgreSQL), changing or going away under load.
 *   2  live 0<->100 and shadow 0<->100 flipped every 100 ms through the Admin API during 100,000
 *      requests: none fails, none is sent twice
 *   3  Unleash unreachable at start (legacy serves), then up (flags arrive), SIGKILLed (the last
 *      known flags hold), back with a change (the change arrives)
 */
import { UnleashAdminClient, flagName, startEmbeddedUnleash, type EmbeddedUnleash } from '@smp/flags';
import { startTestUnleash, type TestUnleash } from '@smp/flags/test-unleash';
import { startProxy, startUpstream, type ProxyProcess } from './fault-processes.js';
import { runLoad } from './fault-load.js';
import { collect, proxyEnv, row, sleep, underLoad, type Row, type SuiteOptions } from './fault-stage.js';

const ROUTES = ['ml-predict', 'ml-anomaly'] as const;

async function livePercent(proxy: ProxyProcess): Promise<number> {
  const status = (await (await proxy.admin('/status')).json()) as { routes: { id: string; flags: { live: { percent: number; enabled: boolean } } }[] };
  const live = status.routes.find((r) => r.id === 'ml-predict')!.flags.live;
  return live.enabled ? live.percent : 0;
}

async function waitPercent(proxy: ProxyProcess, percent: number, timeoutMs: number): Promise<number | null> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if ((await livePercent(proxy).catch(() => -1)) === percent) return Date.now() - started;
    await sleep(50);
  }
  return null;
}

async function enableAll(admin: UnleashAdminClient, live: number, shadow: number): Promise<void> {
  for (const route of ROUTES) {
    await admin.setRollout(flagName(route, 'live'), live);
    await admin.setRollout(flagName(route, 'shadow'), shadow);
    await admin.enable(flagName(route, 'live'));
    await admin.enable(flagName(route, 'shadow'));
  }
}

export async function flagFlips(options: SuiteOptions): Promise<Row> {
  const { dir } = options;
  const unleash: TestUnleash = await startTestUnleash();
  const legacy = await startUpstream('legacy');
  const candidate = await startUpstream('candidate');
  await enableAll(unleash.admin, 0, 0);
  const proxy = await startProxy('s2-flips', dir, proxyEnv(dir, legacy, candidate, { UNLEASH_URL: unleash.apiUrl, UNLEASH_API_TOKEN: unleash.clientToken, UNLEASH_REFRESH_MS: '100' }));
  try {
    const before = proxy.rss();
    let flips = 0;
    let done = false;
    const flipper = (async () => {
      while (!done) {
        const on = flips % 2 === 0;
        const started = Date.now();
        await Promise.all([
          unleash.admin.setRollout(flagName('ml-predict', 'live'), on ? 100 : 0),
          unleash.admin.setRollout(flagName('ml-predict', 'shadow'), on ? 0 : 100),
          unleash.admin.setRollout(flagName('ml-anomaly', 'live'), on ? 100 : 0),
        ]);
        flips += 1;
        await sleep(Math.max(0, 100 - (Date.now() - started)));
      }
    })();
    const outcomes = await runLoad({ url: proxy.url, rate: 800, durationMs: 200_000, maxRequests: 100_000, nonIdempotentShare: 0.1 });
    done = true;
    await flipper;
    const t = await collect(outcomes, [legacy, candidate]);
    return row('2 flags flipped every 100 ms (real Unleash)', t, { before, after: proxy.rss() }, { note: `${flips} flips; ${t.mirrored} mirrored` });
  } finally {
    await proxy.close();
    await Promise.all([legacy.close(), candidate.close()]);
    await unleash.close();
  }
}

export async function unleashOutage(options: SuiteOptions): Promise<Row> {
  const { dir } = options;
  const unleash: TestUnleash = await startTestUnleash();
  const legacy = await startUpstream('legacy');
  const candidate = await startUpstream('candidate');
  await enableAll(unleash.admin, 100, 0);
  await unleash.stop();
  const restart = () => startEmbeddedUnleash({ databaseUrl: unleash.database.url, port: unleash.port, adminToken: unleash.adminToken, clientToken: unleash.clientToken });
  let server: EmbeddedUnleash | null = null;
  const proxy = await startProxy('s3-unleash', dir, proxyEnv(dir, legacy, candidate, {
    UNLEASH_URL: unleash.apiUrl,
    UNLEASH_API_TOKEN: unleash.clientToken,
    UNLEASH_REFRESH_MS: '500',
    UNLEASH_READY_TIMEOUT_MS: '1000',
  }));
  try {
    const before = proxy.rss();
    const steps: string[] = [];
    let firstMs: number | null = null;
    let backMs: number | null = null;
    let held = false;
    let finished = false;
    const outcomes = await underLoad({ url: proxy.url, rate: 500, durationMs: 180_000, nonIdempotentShare: 0.1, shouldStop: () => finished }, async () => {
      try {
        steps.push(`at start: live ${await livePercent(proxy)}%`);
        await sleep(3_000);
        server = await restart();
        firstMs = await waitPercent(proxy, 100, 15_000);
        steps.push(`up: flags after ${firstMs} ms`);
        await sleep(3_000);
        process.kill(server.pid, 'SIGKILL');
        await server.exited;
        await sleep(8_000);
        held = (await livePercent(proxy)) === 100;
        steps.push(`SIGKILLed 8 s: live ${await livePercent(proxy)}%`);
        server = await restart();
        const admin = new UnleashAdminClient({ url: server.url, token: server.adminToken, environment: server.environment });
        await admin.setRollout(flagName('ml-predict', 'live'), 0);
        const changed = Date.now();
        backMs = await waitPercent(proxy, 0, 15_000);
        steps.push(`back, rollout 0: seen after ${backMs === null ? 'never' : Date.now() - changed} ms`);
        await admin.close();
        await sleep(2_000);
      } finally {
        finished = true;
      }
    });
    const t = await collect(outcomes, [legacy, candidate]);
    const r = row('3 Unleash down at start, SIGKILLed, back', t, { before, after: proxy.rss() }, {
      recovery: `${firstMs ?? 'never'} ms / ${backMs ?? 'never'} ms`,
      note: steps.join('; '),
    });
    if (firstMs === null || backMs === null) r.problems.push('flags did not recover');
    if (!held) r.problems.push('last known flags not held while Unleash was down');
    return r;
  } finally {
    await proxy.close();
    if (server !== null) await (server as EmbeddedUnleash).close();
    await Promise.all([legacy.close(), candidate.close()]);
    await unleash.close();
  }
}
