import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHttpApp, createRegistry, finishHttpApp, serve, silentLogger, type RunningService } from '@smp/platform';
import { describeServiceSkeleton } from '@smp/platform/testkit';
import { parseConfig, SERVICE, start } from '../src/index.js';
import { ADMIN_TOKEN } from './support/proxy-harness.js';

// The proxy is transparent: /health, X-Request-ID, /metrics and 404s come from the service behind
// it. So the shared skeleton contract is checked through the proxy against a stand-in legacy
// service built on the same platform skeleton as the real monolith.
let legacy: RunningService | undefined;

async function startLegacyStandIn(): Promise<RunningService> {
  const logger = silentLogger('legacy-stand-in');
  const app = createHttpApp({ service: 'legacy-stand-in', logger, registry: createRegistry({ service: 'legacy-stand-in', processMetrics: false }) });
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  return serve(finishHttpApp(app, { logger }), { port: 0, host: '127.0.0.1', logger });
}

describe('proxy in front of a legacy stand-in', function () {
  after(async function () {
    await legacy?.close();
  });

  describeServiceSkeleton({
  service: SERVICE,
  parseConfig,
  start,
  mainScript: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/main.js'),
  env: async () => {
    legacy ??= await startLegacyStandIn();
    return { LEGACY_URL: legacy.url, ADMIN_TOKEN, ADMIN_PORT: '0', PROXY_ROUTES_WATCH: 'false', HOST: '127.0.0.1' };
  },
  });
});
