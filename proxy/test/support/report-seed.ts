/**
 * A known comparison history for the report tests, written through the real recorder (so rollups,
 * path rollups and label rollups are what the proxy writes) plus rollback and route events:
 *
 *   route ml-predict, 30 minutes ending at `now`, 600 pairs
 *     every 20th pair: the candidate flips the label  -> mismatch at prediction[0]
 *     from minute 20 on, the candidate is ~3x slower (legacy ~4 ms, candidate ~12 ms)
 *     one pair whose candidate body carries markup in `note` -> mismatch at note
 *   a flag change at minute 5, a judge decision `fail` at minute 24, a rollback at minute 25
 *   with its evidence, a resume at minute 28, `inconclusive` at minute 29
 */
import { silentLogger, type PgPool } from '@smp/platform';
import { compareExchange, type Observation } from '../../src/compare/comparator.js';
import { compileCompareRules } from '../../src/compare/compare-rules.js';
import { seededRandom } from '../../src/analysis/seeded-random.js';
import { ComparisonRecorder, type ComparisonRecord, type RecordedRequest } from '../../src/report/comparison-recorder.js';
import { RouteEventWriter } from '../../src/report/route-events.js';

export const SEED_ROUTE = 'ml-predict';
export const MARKUP = `<script>window.__xss = 1; alert(1)</script><img src=x onerror="window.__xss = 2; alert(2)">`;

const rules = compileCompareRules(SEED_ROUTE, { ignore: ['request_id', 'timestamp'] });
const json = { 'content-type': 'application/json' };

function obs(body: object, latencyMs: number): Observation {
  return { status: 200, error: null, latencyMs, headers: json, body: Buffer.from(JSON.stringify(body)), truncated: false };
}

/** The request behind seeded pair i: a JSON body with a known field; pair 301's carries the markup too. */
export function seedRequest(i: number): RecordedRequest {
  const body = { customer_id: `cust-${i}`, features: [i % 7, 0.5, 12], ...(i === 301 ? { comment: MARKUP } : {}) };
  return { url: `/api/v1/ml/predict?customer=cust-${i}&explain=true`, contentType: 'application/json', body: JSON.stringify(body) };
}

export function seedRecords(now: number, n = 600): ComparisonRecord[] {
  const rnd = seededRandom(13);
  const start = now - 30 * 60_000;
  return Array.from({ length: n }, (_, i) => {
    const at = start + Math.floor((i / n) * 30 * 60_000);
    const slow = at >= start + 20 * 60_000;
    const legacyMs = 2 + rnd() * 4;
    const candidateMs = legacyMs * (slow ? 3 : 1.1);
    const label = i % 3 === 0 ? 1 : 0;
    const base = { prediction: [label], confidence: 0.91, model_info: { model_version: '2' }, request_id: `req-${i}`, timestamp: new Date(at).toISOString() };
    const candidateBody = { ...base, prediction: [i % 20 === 7 ? 1 - label : label], ...(i === 301 ? { note: MARKUP } : {}) };
    const legacy = obs(base, legacyMs);
    const candidate = obs(candidateBody, candidateMs);
    const result = compareExchange(legacy, candidate, rules);
    const mismatch = result.outcome === 'mismatch';
    return {
      routeId: SEED_ROUTE,
      at,
      mode: 'shadow',
      requestId: `req-${i}`,
      method: 'POST',
      livePercent: 0,
      shadowPercent: 100,
      variant: null,
      legacy: { status: 200, error: null, latencyMs: legacyMs },
      candidate: { status: 200, error: null, latencyMs: candidateMs },
      result,
      legacyBody: mismatch ? legacy.body.toString() : null,
      candidateBody: mismatch ? candidate.body.toString() : null,
      request: mismatch ? seedRequest(i) : null,
    };
  });
}

export async function seedReport(pool: PgPool, now: number): Promise<void> {
  const recorder = new ComparisonRecorder({ pool, logger: silentLogger('seed'), flushMs: 10_000, batchSize: 1_000 });
  for (const r of seedRecords(now)) recorder.enqueue(r);
  await recorder.close();
  const start = now - 30 * 60_000;
  const events = new RouteEventWriter({ pool, logger: silentLogger('seed'), flushMs: 60_000 });
  events.enqueue({ at: start + 5 * 60_000, route: SEED_ROUTE, kind: 'flag-change', actor: 'replica-a', subject: 'migrate.ml-predict.shadow', state: 'on 100%', summary: 'migrate.ml-predict.shadow: on 10% → on 100%', detail: { from: 'on 10%', to: 'on 100%' } });
  const criteria = [
    { name: 'latency', result: 'fail', test: 'wilcoxon', n: 80, summary: 'candidate/legacy latency ratio 3.0 > 1.5 (p < 0.001)', numbers: {} },
    { name: 'mismatch-rate', result: 'fail', test: 'wilson', n: 80, summary: 'mismatch 5.0% [2.1%, 11%] > 1%', numbers: {} },
  ];
  events.enqueue({ at: start + 24 * 60_000, route: SEED_ROUTE, kind: 'judge-decision', actor: 'replica-a', subject: 'verdict', state: 'fail', summary: 'judge: fail', detail: { verdict: 'fail', reasons: ['latency ratio 3.0 > 1.5'], criteria } });
  events.enqueue({ at: start + 29 * 60_000, route: SEED_ROUTE, kind: 'judge-decision', actor: 'replica-a', subject: 'verdict', state: 'inconclusive', summary: 'judge: inconclusive', detail: { verdict: 'inconclusive', reasons: ['12 pairs < 30'] } });
  await events.close();
  await pool.query(
    `INSERT INTO proxy_rollback_events (route, kind, at, decided_by, reason, evidence) VALUES
       ($1, 'rollback', $2, 'replica-a', '3 consecutive failing windows: latency ratio 3.0 > 1.5', $3),
       ($1, 'resume', $4, 'admin', 'POST /routes/ml-predict/resume', NULL)`,
    [SEED_ROUTE, new Date(start + 25 * 60_000), JSON.stringify({ verdict: 'fail', consecutiveFailures: 3, reasons: ['latency ratio 3.0 > 1.5'], criteria }), new Date(start + 28 * 60_000)],
  );
}
