/**
 * Scenarios 2 and 3: flags from a real Unleash server (its own throw-away database on the test
 * PostgreSQL), changing or going away under load.
 *   2  live 0<->100 and shadow 0<->100 (three flags) each flipped every 100 ms through the Admin API during 100,000
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

interface Strategy {
  id: string;
  name: string;
  parameters?: Record<string, string>;
  constraints?: unknown[];
  variants?: unknown[];
  segments?: unknown[];
}

/** A flag's rollout strategy, read once; `put(percent)` is then one Admin API write. */
async function rolloutWriter(unleash: TestUnleash, name: string): Promise<{ put: (percent: number) => Promise<void> }> {
  const path = `${unleash.url}/api/admin/projects/default/features/${encodeURIComponent(name)}/environments/${encodeURIComponent(unleash.environment)}/strategies`;
  const headers = { authorization: unleash.adminToken, 'content-type': 'application/json' };
  const list = (await (await fetch(path, { headers })).json()) as Strategy[];
  const s = list.find((x) => x.name === 'flexibleRollout');
  if (s === undefined) throw new Error(`flag ${name} has no rollout strategy`);
  return {
    put: async (percent) => {
      const body = { name: s.name, disabled: false, parameters: { ...s.parameters, rollout: String(percent) }, constraints: s.constraints ?? [], variants: s.variants ?? [], segments: s.segments ?? [] };
      const res = await fetch(`${path}/${encodeURIComponent(s.id)}`, { method: 'PUT', headers, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`PUT ${name} rollout: ${res.status}`);
    },
  };
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
    // Every 100 ms on a fixed clock, each of three flags flips 0<->100 (ml-predict live, ml-predict
    // shadow, ml-anomaly live): three changes per tick, each one Admin API write (the strategy PUT,
    // on the strategy read once; the admin client's setRollout is three calls). A flag whose
    // previous write is still running skips its tick (a flag's writes never overlap), counted.
    // The Unleash server runs inside this process, beside the load generator.
    const FLIPPED = [flagName('ml-predict', 'live'), flagName('ml-predict', 'shadow'), flagName('ml-anomaly', 'live')];
    const state = FLIPPED.map(() => false);
    const strategies = await Promise.all(FLIPPED.map((name) => rolloutWriter(unleash, name)));
    let flips = 0;
    let missed = 0;
    let failedWrites = 0;
    let ticks = 0;
    const writing = FLIPPED.map(() => false);
    const flipper = setInterval(() => {
      ticks++;
      for (const [i] of FLIPPED.entries()) {
        if (writing[i]) {
          missed += 1;
          continue;
        }
        writing[i] = true;
        state[i] = !state[i];
        void strategies[i]
          .put(state[i] ? 100 : 0)
          .then(
            () => (flips += 1),
            () => (failedWrites += 1),
          )
          .finally(() => (writing[i] = false));
      }
    }, 100);
    const started = Date.now();
    const outcomes = await runLoad({ url: proxy.url, rate: 800, durationMs: 200_000, maxRequests: 100_000, nonIdempotentShare: 0.1 });
    clearInterval(flipper);
    const seconds = (Date.now() - started) / 1000;
    const t = await collect(outcomes, [legacy, candidate]);
    const r = row('2 flags flipped every 100 ms (real Unleash)', t, { before, after: proxy.rss() }, {
      note: `${flips} flag changes in ${seconds.toFixed(0)} s over ${ticks} ticks of 100 ms (each of the 3 flags flipped on ${(100 * flips / Math.max(1, 3 * ticks)).toFixed(0)}% of ticks; ${missed} flips skipped while that flag's write was still running, ${failedWrites} writes failed); ${t.mirrored} mirrored`,
    });
    if (failedWrites > 0) r.problems.push(`${failedWrites} flag writes failed`);
    if (missed > flips / 10) r.problems.push(`${missed} of ${flips + missed} flag changes missed their 100 ms tick`);
    return r;
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
