/**
 * The CandidateGate the splitter and the shadow tap ask, per request, "may this route's candidate
 * get traffic?". A synchronous read of the rollback store's in-memory copy: no I/O on the hot path;
 * Redis pub/sub keeps that copy current on every replica.
 *
 *   const gate = createCandidateGate(store);
 *   gate.isAllowed('ml-predict')   // false once any replica rolled ml-predict back
 */
import type { CandidateGate } from '../exchange.js';
import type { RollbackStore } from './rollback-store.js';

export function createCandidateGate(store: RollbackStore): CandidateGate {
  return { isAllowed: (routeId: string) => !store.isRolledBack(routeId) };
}
