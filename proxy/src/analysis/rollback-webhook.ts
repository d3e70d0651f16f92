/**
 * Tell people: POST the rollback with its evidence to ROLLBACK_WEBHOOK_URL (a chat or paging
 * hook). Bounded by a timeout, run after the gate already flipped, awaited by nobody serving:
 *
 *   {"event":"rollback","route":"ml-predict","at":"2025-08-21T10:00:00.000Z","decided_by":"proxy-a",
 *    "reason":"mismatch-rate failed at pair 50093: …","evidence":{"status":"fail","pairs":50093,"failed":{…},"criteria":[…]},
 *    "text":"ml-predict rolled back: mismatch-rate: …"}
 */
import { request } from 'undici';
import { rollbackEvidence, type RollbackAction, type RollbackEvent } from './rollback-controller.js';

export interface RollbackWebhookOptions {
  url: string;
  timeoutMs: number;
}

/** The JSON body sent for one event. */
export function webhookPayload(event: RollbackEvent): Record<string, unknown> {
  return {
    event: event.kind,
    route: event.routeId,
    at: new Date(event.at).toISOString(),
    decided_by: event.by,
    reason: event.reason,
    evidence: rollbackEvidence(event),
    text: `${event.routeId} ${event.kind === 'rollback' ? 'rolled back' : 'resumed'}: ${event.reason}`,
  };
}

export function rollbackWebhook(options: RollbackWebhookOptions): RollbackAction {
  return {
    name: 'webhook',
    on: ['rollback'],
    async run(event: RollbackEvent): Promise<void> {
      const res = await request(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(webhookPayload(event)),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await res.body.dump();
      if (res.statusCode >= 300) throw new Error(`webhook answered HTTP ${res.statusCode}`);
    },
  };
}
