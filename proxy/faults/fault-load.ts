/**
 * The fault suite's load: an open loop (requests go out on a clock whatever the answers do, as real
 * clients would), bounded in count and time, stopping by itself. Every request carries its own
 * X-Request-ID and a client key (`x-api-key: client-<n % 1000>`, so rollouts split clients); an
 * answer counts as a success only when it is a 200 whose JSON body names that same id: a whole,
 * correct answer, not just a status.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';

export interface LoadPlan {
  url: string;
  /** Requests per second. */
  rate: number;
  durationMs: number;
  /** Stop after this many requests even before durationMs. */
  maxRequests?: number;
  /** Share of requests sent to the non-idempotent route (0..1). */
  nonIdempotentShare?: number;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
  /** Checked on every tick: true ends the run early. */
  shouldStop?: () => boolean;
  /** Called once per elapsed second (fault injection on a schedule). */
  onSecond?: (second: number) => void;
}

export interface Outcome {
  readonly id: string;
  readonly idempotent: boolean;
  readonly sentAt: number;
  readonly doneAt: number;
  readonly ok: boolean;
  readonly status: number;
  readonly error?: string;
}

export const IDEMPOTENT_PATH = '/api/v1/ml/predict';
export const NON_IDEMPOTENT_PATH = '/api/v1/ml/detect_anomaly';
const BODY = JSON.stringify({ air_temperature: 298.1, process_temperature: 308.6, rotational_speed: 1551, torque: 42.8, tool_wear: 0 });
const MAX_IN_FLIGHT = 5_000;

export async function runLoad(plan: LoadPlan): Promise<Outcome[]> {
  // As many connections as requests in flight, as a population of clients has: an open loop whose
  // own pool queued requests (it had 256) would time them out for its own sake, not the proxy's
  // (a stalling candidate's live requests take 1–2 s each: 250/s of them need ≈ 500 connections).
  const pool = new Pool(plan.url, { connections: MAX_IN_FLIGHT, pipelining: 1, keepAliveTimeout: 10_000 });
  const outcomes: Outcome[] = [];
  const pending = new Set<Promise<void>>();
  const started = Date.now();
  const max = plan.maxRequests ?? Number.POSITIVE_INFINITY;
  let sent = 0;
  let second = 0;
  const one = async (n: number) => {
    const id = randomUUID();
    const idempotent = Math.random() >= (plan.nonIdempotentShare ?? 0);
    const sentAt = Date.now();
    try {
      const res = await pool.request({
        path: idempotent ? IDEMPOTENT_PATH : NON_IDEMPOTENT_PATH,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': id, 'x-api-key': `client-${n % 1000}` },
        body: BODY,
        headersTimeout: plan.timeoutMs ?? 15_000,
        bodyTimeout: plan.timeoutMs ?? 15_000,
        // A hard cap on the whole exchange, body included: the run always ends.
        signal: AbortSignal.timeout(plan.timeoutMs ?? 15_000),
      });
      const text = await res.body.text();
      let ok = false;
      if (res.statusCode === 200) {
        try {
          ok = (JSON.parse(text) as { id?: string }).id === id;
        } catch {
          ok = false;
        }
      }
      outcomes.push({ id, idempotent, sentAt, doneAt: Date.now(), ok, status: res.statusCode, ...(ok ? {} : { error: `status ${res.statusCode}: ${text.slice(0, 80)}` }) });
    } catch (err) {
      const error = (err as Error).name === 'TimeoutError' ? 'client timeout' : ((err as { code?: string }).code ?? (err as Error).message);
      outcomes.push({ id, idempotent, sentAt, doneAt: Date.now(), ok: false, status: 0, error });
    }
  };
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = Date.now() - started;
      while (second < Math.floor(elapsed / 1000)) {
        second += 1;
        plan.onSecond?.(second);
      }
      const due = Math.min(max, Math.floor((elapsed * plan.rate) / 1000));
      if (elapsed >= plan.durationMs || sent >= max || plan.shouldStop?.() === true) {
        clearInterval(tick);
        resolve();
        return;
      }
      while (sent < due && pending.size < MAX_IN_FLIGHT) {
        const p = one(sent++);
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
    }, 2);
  });
  await Promise.all(pending);
  await pool.destroy();
  return outcomes;
}

/** Closed loop: `clients` send back to back for `durationMs`; returns correct answers per second. */
export async function closedLoopRate(url: string, clients: number, durationMs: number): Promise<number> {
  const pool = new Pool(url, { connections: clients, pipelining: 1 });
  const until = Date.now() + durationMs;
  let ok = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (Date.now() < until) {
        const id = randomUUID();
        try {
          const res = await pool.request({ path: IDEMPOTENT_PATH, method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id, 'x-api-key': `client-${c}` }, body: BODY });
          const text = await res.body.text();
          if (res.statusCode === 200 && text.includes(id)) ok += 1;
        } catch {
          // counted as not ok
        }
      }
    }),
  );
  await pool.destroy();
  return ok / (durationMs / 1000);
}
