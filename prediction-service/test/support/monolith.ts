/**
 * The real monolith as the control of a comparison, loaded at run time so this workspace does not
 * build against it (`@smp/legacy-monolith` is a sibling workspace, resolved through node_modules).
 * It needs PostgreSQL: each instance gets a throw-away database, dropped by `close()`.
 *
 *   const control = await startMonolith({ MODEL_REGISTRY_DIR: dir, API_KEYS: 'k1' });
 *   if (typeof control === 'string') this.skip();   // why it could not start
 */
import { silentLogger, type Env, type Logger, type RunningService } from '@smp/platform';
import { createTestDatabase } from '@smp/platform/testkit';

interface MonolithModule {
  parseConfig(env: Env): unknown;
  start(options: { config: unknown; port?: number; logger?: Logger }): Promise<RunningService>;
}

export interface MonolithControl {
  url: string;
  close(): Promise<void>;
}

/** Start the monolith with `env` (plus a fresh DATABASE_URL, no Redis); a string says why it could not. */
export async function startMonolith(env: Env): Promise<MonolithControl | string> {
  const specifier = '@smp/legacy-monolith';
  let monolith: MonolithModule;
  try {
    monolith = (await import(specifier)) as MonolithModule;
  } catch (err) {
    return `${specifier} could not be loaded (${(err as Error).message})`;
  }
  const db = await createTestDatabase('pred_mono');
  try {
    const config = monolith.parseConfig({ LOG_LEVEL: 'error', DATABASE_URL: db.url, ...env });
    const running = await monolith.start({ config, port: 0, logger: silentLogger('legacy-monolith') });
    return {
      url: running.url,
      async close() {
        await running.close();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}
