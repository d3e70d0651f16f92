/** legacy-monolith: the HTTP app, wired from injected dependencies. */
import { createHttpApp, finishHttpApp, legacyTimestamp, type AppDeps } from '@smp/platform';
import type { Express } from 'express';
import type { Config } from './config.js';

export const SERVICE = 'legacy-monolith';

export function createApp(deps: AppDeps<Config>): Express {
  const app = createHttpApp({ service: SERVICE, logger: deps.logger, registry: deps.registry });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: SERVICE, timestamp: legacyTimestamp() });
  });
  return finishHttpApp(app, { logger: deps.logger });
}
