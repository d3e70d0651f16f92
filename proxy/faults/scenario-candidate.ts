/**
 * Scenario 1: the candidate fails in every way we know, under 100% shadow and live 50% at once
 * (half the clients are served by the candidate, every request is mirrored to the other side), one
 * kind after the other on the same proxy. Idempotent requests must all get a whole, correct answer; the
 * non-idempotent route must never be sent twice (its failures reach the client, by design).
 * Scenario 7 (soak) is here too: the same wiring, healthy, for minutes.
 */
import { established, startProxy, startUpstream, type FaultUpstream, type ProxyProcess } from './fault-processes.js';
import { quantileOf } from '../bench/judge-simulation.js';
import { closedLoopRate } from './fault-load.js';
import { collect, metricSum, mib, proxyEnv, row, underLoad, writeFlags, type Row, type SuiteOptions } from './fault-stage.js';

export const CANDIDATE_FAULTS = ['down', 'hang', 'slow:2000', '5xx', 'garbage', 'reset-before-head', 'reset-after-head', 'truncated', 'stall-body'] as const;

async function withUpstreams<T>(fn: (legacy: FaultUpstream, candidate: FaultUpstream) => Promise<T>): Promise<T> {
  const legacy = await startUpstream('legacy');
  const candidate = await startUpstream('candidate').catch(async (err: unknown) => {
    await legacy.close();
    throw err;
  });
  try {
    return await fn(legacy, candidate);
  } finally {
    await Promise.all([legacy.close(), candidate.close()]);
  }
}

/**
 * Every fault runs with the breaker held shut, so every live request meets the failing candidate
 * and must be rescued by the fallback. At the full rate `stall-body` then runs once more with the
 * breaker at its real setting (5 failures open it for 10 s): a candidate failing this way is cut
 * off like any other. (It used to run only that way: with the breaker shut, its live requests take
 * 1–2 s each and the load generator's own 256-connection pool queued them into client timeouts;
 * the pool now has a connection per request in flight, as a client population does.)
 */
const CUT_OFF_DEMO: readonly string[] = ['stall-body'];

export async function candidateFaults(options: SuiteOptions): Promise<Row[]> {
  const { quick, dir } = options;
  const rate = quick ? 300 : 500;
  const durationMs = quick ? 2_000 : 20_000;
  const chosen = CANDIDATE_FAULTS.filter((f) => options.faults === undefined || options.faults.includes(f));
  const cutOff = quick ? [] : chosen.filter((f) => CUT_OFF_DEMO.includes(f));
  const shut: Record<string, string> = {};
  const real: Record<string, string> = { BREAKER_FAILURE_THRESHOLD: '5' };
  const groups = [
    { faults: chosen, breaker: shut },
    { faults: cutOff, breaker: real },
  ].filter((g) => g.faults.length > 0);
  return withUpstreams(async (legacy, candidate) => {
    const rows: Row[] = [];
    for (const [g, group] of groups.entries()) {
      // One proxy through every kind in turn: failures must not pile up in it either. The judge
      // would roll the route back (as it should) and from then on no fault would reach the fallback
      // path under test: it only watches here (it never leaves its warm-up).
      const env = { UNLEASH_BOOTSTRAP: writeFlags(dir, 50, 100), JUDGE_WARMUP_PAIRS: '1000000', ...group.breaker };
      const proxy = await startProxy(`s1-candidate-${g}`, dir, proxyEnv(dir, legacy, candidate, env));
      try {
        for (const fault of group.faults) rows.push(await oneFault(options, proxy, legacy, candidate, fault, { rate, durationMs, breaker: group.breaker === real }));
      } finally {
        await proxy.close();
      }
    }
    await candidate.setMode('normal');
    return rows;
  });
}

async function oneFault(options: SuiteOptions, proxy: ProxyProcess, legacy: FaultUpstream, candidate: FaultUpstream, fault: string, load: { rate: number; durationMs: number; breaker: boolean }): Promise<Row> {
  await candidate.setMode(fault);
  const before = proxy.rss();
  const [fallbacks0, failures0] = [await metricSum(proxy, 'proxy_fallbacks_total'), await metricSum(proxy, 'proxy_candidate_failures_total')];
  const outcomes = await underLoad({ url: proxy.url, rate: load.rate, durationMs: load.durationMs, nonIdempotentShare: 0.1 });
  const t = await collect(outcomes, [legacy, candidate], 1_600);
  const fallbacks = (await metricSum(proxy, 'proxy_fallbacks_total')) - fallbacks0;
  const failures = (await metricSum(proxy, 'proxy_candidate_failures_total')) - failures0;
  const scenario = `1 candidate ${fault}${load.breaker ? ' (breaker on)' : ''}`;
  const r = row(scenario, t, { before, after: proxy.rss() }, { note: `${fallbacks} fallbacks, ${failures} candidate failures counted, ${t.mirrored} mirrored` });
  if (fallbacks === 0 || failures < fallbacks) r.problems.push('the fault did not reach the fallback path (or was not counted)');
  options.log(`  ${r.scenario}: ${r.requests} requests, ${r.failures} failed, ${r.nonIdempotentFailures} non-idempotent failed, ${r.duplicated} duplicated; ${r.note}`);
  return r;
}

/** Requests/s the proxy sustains: 64 clients back to back for 5 s. */
function capacity(proxy: ProxyProcess): Promise<number> {
  return closedLoopRate(proxy.url, 64, 5_000);
}

/** Scenario 7: half the measured capacity, 100% shadow (live 0), for `minutes`; RSS and descriptors sampled. */
export async function soak(options: SuiteOptions, minutes: number): Promise<Row> {
  const { dir } = options;
  return withUpstreams(async (legacy, candidate) => {
    const proxy = await startProxy('s7-soak', dir, proxyEnv(dir, legacy, candidate, { UNLEASH_BOOTSTRAP: writeFlags(dir, 0, 100) }));
    try {
      const full = await capacity(proxy);
      const rate = Math.max(100, Math.round(full / 2));
      await legacy.seen();
      await candidate.seen();
      // Warm up 30 s (JIT, pools, the shadow worker) before the baseline is taken.
      const warm = await underLoad({ url: proxy.url, rate, durationMs: 30_000 });
      // Sampled every second under load: one sample of each would catch the GC's sawtooth (RSS
      // swings by ±40 MiB at 1,500 req/s) or the client's own connections coming and going. RSS is
      // judged on its troughs (the lowest sample of the first minute against the lowest of the
      // last: what survives collection; a leak lifts the troughs, garbage not yet collected does
      // not), and every minute's trough and median are printed, so a trend shows.
      const rss: number[] = [];
      const fds: number[] = [];
      let clients = 0;
      let pooled = 0;
      const upstreamPorts = [legacy, candidate].map((u) => Number(new URL(u.url).port));
      // Serving pools (UPSTREAM_CONNECTIONS 128 per upstream) and the mirror's (SHADOW_CONNECTIONS 64 per upstream).
      const poolBound = 2 * (128 + 64);
      const outcomes = await underLoad({
        url: proxy.url,
        rate,
        durationMs: minutes * 60_000,
        onSecond: () => {
          rss.push(proxy.rss());
          // The proxy's own descriptors: its clients' connections come and go with the load
          // generator's bursts (it opens one per request in flight; the server keeps idle ones
          // 65 s), and its keep-alive pools to the upstreams grow with the bursts up to their
          // bounds (checked apart); what is left must stay flat.
          const clientConns = proxy.clientConnections();
          const upstreamConns = upstreamPorts.reduce((n, port) => n + established(port, 'remote'), 0);
          fds.push(proxy.fds() - clientConns - upstreamConns);
          clients = Math.max(clients, clientConns);
          pooled = Math.max(pooled, upstreamConns);
        },
      });
      const t = await collect([...warm, ...outcomes], [legacy, candidate]);
      const span = Math.max(1, Math.min(60, Math.floor(rss.length / 3)));
      const [before, after] = [Math.min(...rss.slice(0, span)), Math.min(...rss.slice(-span))];
      const [fdsBefore, fdsAfter] = [Math.round(quantileOf(fds.slice(0, span), 0.5)), Math.round(quantileOf(fds.slice(-span), 0.5))];
      const growth = (after - before) / before;
      const byMinute = Array.from({ length: Math.ceil(rss.length / 60) }, (_, m) => rss.slice(m * 60, m * 60 + 60));
      const perMinute = byMinute.map((xs) => `${(Math.min(...xs) / 2 ** 20).toFixed(0)}/${(quantileOf(xs, 0.5) / 2 ** 20).toFixed(0)}`).join(', ');
      const r = row(`7 soak ${minutes} min @ ${rate} req/s (capacity ${Math.round(full)}), 100% shadow`, t, { before, after }, {
        note:
          `RSS trough of the first and last ${span} s ${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}% (${mib(before)} -> ${mib(after)}; per minute trough/median MiB: ${perMinute}), ` +
          `other fds ${fdsBefore} -> ${fdsAfter} (samples ${Math.min(...fds)}–${Math.max(...fds)}); apart: client connections (at most ${clients}) and upstream pool connections (at most ${pooled}, bound ${poolBound}); ${t.mirrored} mirrored`,
      });
      if (growth >= 0.1) r.problems.push(`RSS grew ${(growth * 100).toFixed(1)}% (limit 10%)`);
      if (fdsAfter > fdsBefore * 1.1 + 20) r.problems.push(`file descriptors grew ${fdsBefore} -> ${fdsAfter}`);
      if (pooled > poolBound) r.problems.push(`upstream connections ${pooled} over the pools' bound ${poolBound}`);
      return r;
    } finally {
      await proxy.close();
    }
  });
}
