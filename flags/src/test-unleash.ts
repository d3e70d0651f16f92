/**
 * A real Unleash server for tests, on a throw-away database of the test PostgreSQL, with an Admin
 * API client at hand and (by default) the migration flags created, disabled at 0%:
 *
 *   import { startTestUnleash } from '@smp/flags/test-unleash';
 *   const unleash = await startTestUnleash();
 *   // proxy env: UNLEASH_URL=unleash.apiUrl, UNLEASH_API_TOKEN=unleash.clientToken
 *   await unleash.admin.setRollout('migrate.ml-predict.live', 30);
 *   await unleash.admin.enable('migrate.ml-predict.live');
 *   await unleash.stop();   // an outage: the server goes, the database stays
 *   await unleash.close();  // server stopped, database dropped
 */
import { createTestDatabase, type TestDatabase } from '@smp/platform/testkit';
import { UnleashAdminClient } from './admin-client.js';
import { migrationFlags } from './definitions.js';
import { startEmbeddedUnleash, type EmbeddedUnleash, type EmbeddedUnleashOptions } from './embedded-unleash.js';

export interface TestUnleash extends Omit<EmbeddedUnleash, 'close'> {
  admin: UnleashAdminClient;
  database: TestDatabase;
  /** Stops the server only (idempotent). */
  stop(): Promise<void>;
  /** Stops the server, closes the admin client and drops the database (idempotent). */
  close(): Promise<void>;
}

export interface TestUnleashOptions extends Omit<EmbeddedUnleashOptions, 'databaseUrl'> {
  /** Create the migration flags (disabled, 0%) before resolving. Default true. */
  migrationFlags?: boolean;
}

export async function startTestUnleash(options: TestUnleashOptions = {}): Promise<TestUnleash> {
  const database = await createTestDatabase('unleash');
  let server: EmbeddedUnleash;
  try {
    server = await startEmbeddedUnleash({ ...options, databaseUrl: database.url });
  } catch (err) {
    await database.drop();
    throw err;
  }
  const admin = new UnleashAdminClient({ url: server.url, token: server.adminToken, environment: server.environment });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await admin.close();
      await server.close();
      await database.drop();
    })();
    return closed;
  };
  try {
    if (options.migrationFlags ?? true) await admin.ensureFlags(migrationFlags());
  } catch (err) {
    await close();
    throw err;
  }
  const { close: stop, ...rest } = server;
  return { ...rest, admin, database, stop, close };
}
