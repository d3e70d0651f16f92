/**
 * Automatic rollbacks and resumes into the route's audit trail (`proxy_route_events`, the table
 * `npm run flags -- history <route>` prints), beside proxy_rollback_events: who (`proxy:<replica>`,
 * `admin-api`, `unleash`), when, what, and why (the judge's evidence).
 */
import type { PgPool } from '@smp/platform';
import { appendRouteEvent } from '@smp/flags/route-events';
import { rollbackEvidence, type RollbackAction, type RollbackEvent } from '../analysis/rollback-controller.js';

function actor(by: string): string {
  if (by.startsWith('proxy:') || by.startsWith('cli:')) return by;
  if (by === 'admin') return 'admin-api';
  if (by === 'unleash') return 'unleash';
  return `proxy:${by}`;
}

export function routeEventRecorder(pool: PgPool, ready: () => boolean): RollbackAction {
  return {
    name: 'record-route-event',
    on: ['rollback', 'resume'],
    async run(event: RollbackEvent): Promise<void> {
      if (!ready()) throw new Error('route events table not migrated yet (database unavailable)');
      const evidence = rollbackEvidence(event);
      await appendRouteEvent(pool, {
        at: event.at,
        route: event.routeId,
        kind: event.kind === 'rollback' ? 'rollback' : 'rollback-resume',
        actor: actor(event.by),
        summary: event.kind === 'rollback' ? `candidate rolled back, flags off: ${event.reason}` : `candidate resumed: ${event.reason}`,
        detail: evidence,
      });
    },
  };
}
