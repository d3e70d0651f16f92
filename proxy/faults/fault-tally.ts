/**
 * One scenario's line in the fault table, counted from both sides: what the load generator saw
 * (outcomes) and what the upstreams received (served request ids, mirrors excluded).
 *   failures      idempotent requests without a whole, correct answer (the promise: 0)
 *   non-idem      non-idempotent requests without one (a candidate failure there is shown, by design)
 *   lost          requests that got no HTTP answer at all and reached no upstream
 *   duplicated    ids served twice by one upstream, or a non-idempotent id served by two
 */
import type { Outcome } from './fault-load.js';
import type { UpstreamSeen } from './fault-processes.js';

export interface Tally {
  requests: number;
  failures: number;
  nonIdempotentFailures: number;
  lost: number;
  duplicated: number;
  mirrored: number;
  /** Up to 3 distinct failure reasons, for the report. */
  reasons: string[];
}

export function tally(outcomes: readonly Outcome[], upstreams: readonly UpstreamSeen[]): Tally {
  const servedBy = new Map<string, number>();
  let duplicated = 0;
  const dupIds = new Set<string>();
  upstreams.forEach((seen, index) => {
    const mine = new Set<string>();
    for (const id of seen.served) {
      if (mine.has(id)) dupIds.add(id);
      mine.add(id);
      servedBy.set(id, (servedBy.get(id) ?? 0) | (1 << index));
    }
  });
  const reasons = new Set<string>();
  let failures = 0;
  let nonIdempotentFailures = 0;
  let lost = 0;
  for (const o of outcomes) {
    const mask = servedBy.get(o.id) ?? 0;
    if (!o.idempotent && (mask & (mask - 1)) !== 0) dupIds.add(o.id);
    if (o.ok) continue;
    if (o.idempotent) failures += 1;
    else nonIdempotentFailures += 1;
    if (o.status === 0 && mask === 0) lost += 1;
    if (reasons.size < 3 && o.error !== undefined) reasons.add(`${o.idempotent ? '' : 'non-idem '}${o.error}`);
  }
  duplicated = dupIds.size;
  return { requests: outcomes.length, failures, nonIdempotentFailures, lost, duplicated, mirrored: upstreams.reduce((n, s) => n + s.shadow, 0), reasons: [...reasons] };
}
