/**
 * The child process behind `startEmbeddedUnleash`: one real unleash-server. It receives its options
 * over IPC (so tokens never show in `ps`), prepares the database schema, starts Unleash, makes sure
 * the given API tokens and UI login exist (also on a database kept from an earlier run, where
 * Unleash's own `initApiTokens` does nothing), and answers `{type:'ready', port}`.
 *
 * It stops cleanly on SIGTERM/SIGINT, and also when its parent goes away by any means
 * (supervised-child.ts), so a SIGKILLed supervisor or test runner leaves no Unleash behind.
 */
import { start, ApiTokenType, type IUnleash, type Logger, type LogProvider } from 'unleash-server';
import { createLogger, createPgPool } from '@smp/platform';
import type { UnleashProcessOptions, UnleashReady } from './embedded-unleash.js';
import { serveAsChild } from './supervised-child.js';

function logProvider(options: UnleashProcessOptions): LogProvider {
  const logger = createLogger({ service: 'unleash', level: options.logLevel });
  return (category?: string) => {
    const write = (level: string) => (message: unknown, ...args: unknown[]) => {
      const extra: Record<string, unknown> = category ? { component: category } : {};
      for (const a of args) {
        if (a instanceof Error) extra.error = a.message;
        else if (a !== undefined) extra.detail = typeof a === 'string' ? a : JSON.stringify(a);
      }
      logger.log(level, message instanceof Error ? message.message : String(message), extra);
    };
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), fatal: write('error') };
  };
}

async function prepareSchema(options: UnleashProcessOptions): Promise<void> {
  if (options.schema === 'public') return;
  // Unleash does not create its schema; without it, its migrations would land in `public`.
  const pool = createPgPool(options.databaseUrl, createLogger({ service: 'unleash', level: 'error' }), { max: 1 });
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
  } finally {
    await pool.end();
  }
}

async function ensureAccess(unleash: IUnleash, options: UnleashProcessOptions, log: Logger): Promise<void> {
  const wanted = [
    { secret: options.adminToken, type: ApiTokenType.ADMIN, environment: '*', projects: ['*'], tokenName: 'smp-admin' },
    { secret: options.clientToken, type: ApiTokenType.BACKEND, environment: options.environment, projects: ['*'], tokenName: 'smp-client' },
  ];
  for (const token of wanted) {
    if (!(await unleash.stores.apiTokenStore.get(token.secret))) await unleash.stores.apiTokenStore.insert(token);
  }
  // Unleash creates the admin user only in an empty database; make the login we print true anyway.
  const { username, password } = options.uiLogin;
  const user = await unleash.stores.userStore.getByQuery({ username }).catch(() => undefined);
  if (!user) return;
  try {
    await unleash.services.userService.changePassword(user.id, password, { logoutUser: false });
  } catch (err) {
    // Unleash refuses weak passwords here (not at first creation): keep whatever login exists.
    log.warn(`could not set the UI password of ${username}: ${(err as Error).message}`);
  }
}

let instance: IUnleash | undefined;

serveAsChild<UnleashProcessOptions, UnleashReady>({
  async start(options) {
    await prepareSchema(options);
    const getLogger = logProvider(options);
    instance = await start({
      databaseUrl: options.databaseUrl,
      db: { ssl: false, schema: options.schema, pool: { min: 0, max: 4 } },
      server: { host: options.host, port: options.port, gracefulShutdownEnable: false, enableRequestLogger: false, secret: options.secret },
      getLogger,
      versionCheck: { enable: false },
      telemetry: false,
      // Serve every change at once: flag changes must reach clients within their refresh interval.
      clientFeatureCaching: { enabled: false },
      authentication: {
        enableApiToken: true,
        createAdminUser: true,
        initialAdminUser: options.uiLogin,
        initApiTokens: [],
      },
    });
    await ensureAccess(instance, options, getLogger('embedded-unleash'));
    const address = instance.server?.address();
    if (!address || typeof address === 'string') throw new Error('unleash-server did not report a TCP address');
    return { port: address.port };
  },
  async stop() {
    // Its session store keeps a cleanup timer alive after stop(); serveAsChild exits regardless.
    await instance?.stop().catch(() => undefined);
  },
});
