/**
 * On rollback, switch the route's Unleash flags off through the Admin API (the flags workspace's
 * UnleashAdminClient), so the release manager's view in Unleash matches reality and a replica that
 * missed the shared state, or starts later without Redis, sends the candidate nothing either:
 *
 *   POST <UNLEASH_URL>/api/admin/projects/<project>/features/<flag>/environments/<env>/off
 *
 * Every call is bounded by the client's timeout; a flag missing in Unleash is logged, not retried.
 * Turning a flag back on afterwards is how a release manager resumes (rollback-controller.ts).
 */
import type { Logger } from '@smp/platform';
import { UnleashAdminClient, UnleashAdminError } from '@smp/flags/admin-client';
import type { RollbackAction, RollbackEvent } from './rollback-controller.js';

export interface UnleashFlagSwitchOptions {
  /** Unleash base URL (with or without `/api`). */
  url: string;
  adminToken: string;
  project: string;
  environment: string;
  timeoutMs: number;
  logger: Logger;
}

/** The RollbackAction that disables the route's flags, and the client's close(). */
export function unleashFlagSwitch(options: UnleashFlagSwitchOptions): RollbackAction & { close(): Promise<void> } {
  const client = new UnleashAdminClient({ url: options.url, token: options.adminToken, project: options.project, environment: options.environment, timeoutMs: options.timeoutMs });
  return {
    name: 'unleash-disable-flags',
    on: ['rollback'],
    async run(event: RollbackEvent): Promise<void> {
      const results = await Promise.allSettled(event.flags.map((flag) => client.disable(flag)));
      const problems: string[] = [];
      results.forEach((r, i) => {
        const flag = event.flags[i];
        if (r.status === 'fulfilled') options.logger.info('flag switched off in Unleash after the rollback', { flag, route: event.routeId });
        else if (r.reason instanceof UnleashAdminError && r.reason.code === 'NOT_FOUND') options.logger.warn('flag to switch off does not exist in Unleash', { flag, route: event.routeId });
        else problems.push(`${flag}: ${(r.reason as Error).message}`);
      });
      if (problems.length) throw new Error(`could not switch Unleash flags off: ${problems.join('; ')}`);
    },
    close: () => client.close(),
  };
}
