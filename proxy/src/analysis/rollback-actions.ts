/**
 * What a rollback (and a resume) does besides flipping the shared state, from the configuration:
 * an event in PostgreSQL (DATABASE_URL), the route's flags switched off through the Unleash Admin
 * API (UNLEASH_ADMIN_TOKEN), a webhook (ROLLBACK_WEBHOOK_URL). None is awaited by a client.
 */
import type { Closer, Logger } from '@smp/platform';
import type { Config } from '../config.js';
import type { ComparisonStore } from '../report/comparison-store.js';
import { rollbackEventRecorder } from '../report/rollback-events.js';
import { routeEventRecorder } from '../report/route-event-action.js';
import type { RollbackAction } from './rollback-controller.js';
import { rollbackWebhook } from './rollback-webhook.js';
import { unleashFlagSwitch } from './unleash-flag-switch.js';

export function rollbackActions(config: Config, deps: { comparisons: ComparisonStore | null; logger: Logger; closer: Closer; routeEventsReady?: () => boolean }): RollbackAction[] {
  const actions: RollbackAction[] = [];
  const { comparisons } = deps;
  if (comparisons !== null) actions.push(rollbackEventRecorder(comparisons.db, () => comparisons.schemaReady));
  if (comparisons !== null && deps.routeEventsReady) actions.push(routeEventRecorder(comparisons.db, deps.routeEventsReady));
  const unleashAdminUrl = config.UNLEASH_ADMIN_URL ?? config.UNLEASH_URL;
  if (config.UNLEASH_ADMIN_TOKEN && unleashAdminUrl) {
    const flagSwitch = unleashFlagSwitch({
      url: unleashAdminUrl,
      adminToken: config.UNLEASH_ADMIN_TOKEN,
      project: config.UNLEASH_PROJECT,
      environment: config.UNLEASH_ENVIRONMENT,
      timeoutMs: 3_000,
      logger: deps.logger,
    });
    deps.closer.add('unleash admin client', () => flagSwitch.close());
    actions.push(flagSwitch);
  }
  if (config.ROLLBACK_WEBHOOK_URL) actions.push(rollbackWebhook({ url: config.ROLLBACK_WEBHOOK_URL, timeoutMs: config.ROLLBACK_WEBHOOK_TIMEOUT_MS }));
  return actions;
}
