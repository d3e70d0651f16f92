/**
 * `npm run flags -- <command>`: the release manager's handle on the migration flags (see
 * release-commands.ts for the commands, README.md for how to ramp and roll back).
 *
 *   npm run flags -- live ml-predict 10
 *   migrate.ml-predict.live: on, rollout 10% in development
 *
 * Exit codes: 0 done; 2 bad command line or configuration (nothing was changed); 1 Unleash could
 * not be reached or refused the change.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, createPgPool, silentLogger, type PgPool } from '@smp/platform';
import { UnleashAdminClient, UnleashAdminError } from './admin-client.js';
import { flagsCliConfigFromProcess, type FlagsCliConfig } from './config.js';
import { isRolloutCommand, manualChange, offlineOutput, parseCommand, runCommand, USAGE, UsageError, type ReleaseCommand } from './release-commands.js';
import { formatPlans, RolloutStateError, runRolloutCommand } from './rollout-commands.js';
import { migrateRolloutSchema, PgRolloutStore } from './rollout-store.js';
import { appendRouteEvent } from './route-events.js';
import { readUnleashCredentials } from './unleash-credentials.js';

class SetupError extends Error {}

async function adminClient(config: FlagsCliConfig): Promise<UnleashAdminClient> {
  if (config.UNLEASH_URL === undefined && config.UNLEASH_ADMIN_TOKEN === undefined) {
    const local = await readUnleashCredentials(config.STACK_DIR);
    if (!local) {
      throw new SetupError(`set UNLEASH_URL and UNLEASH_ADMIN_TOKEN, or start the local stack (npm start) so that ${config.STACK_DIR}/unleash.json exists`);
    }
    return new UnleashAdminClient({ url: local.url, token: local.adminToken, environment: config.UNLEASH_ENVIRONMENT });
  }
  if (config.UNLEASH_URL === undefined) throw new SetupError('UNLEASH_ADMIN_TOKEN is set but UNLEASH_URL is not');
  if (config.UNLEASH_ADMIN_TOKEN === undefined) throw new SetupError('UNLEASH_URL is set but UNLEASH_ADMIN_TOKEN is not (an admin API token, "*:*.…")');
  return new UnleashAdminClient({ url: config.UNLEASH_URL, token: config.UNLEASH_ADMIN_TOKEN, environment: config.UNLEASH_ENVIRONMENT });
}

/** The proxy's database (plans, audit): DATABASE_URL, else the local stack's `<STACK_DIR>/database.json`; null when neither. */
async function databaseUrl(config: FlagsCliConfig): Promise<string | null> {
  if (config.DATABASE_URL !== undefined) return config.DATABASE_URL;
  try {
    const parsed = JSON.parse(await readFile(path.join(config.STACK_DIR, 'database.json'), 'utf8')) as { url?: unknown };
    return typeof parsed.url === 'string' ? parsed.url : null;
  } catch {
    return null;
  }
}

async function openDatabase(url: string): Promise<PgPool> {
  const pool = createPgPool(url, silentLogger('flags-cli'), { max: 2, connectionTimeoutMillis: 3_000, applicationName: 'flags-cli' });
  try {
    await migrateRolloutSchema(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return pool;
}

const actor = () => `cli:${os.userInfo().username}`;

/** Notes for stderr (stdout stays the command's answer). */
const note = (text: string) => process.stderr.write(`flags: ${text}\n`);

/**
 * The database for this command: required by the rollout commands; for the others (the audit of a
 * manual change, the plans under `status`) a database that is missing or down is noted, not fatal.
 */
async function databaseFor(cmd: ReleaseCommand, config: FlagsCliConfig): Promise<PgPool | null> {
  const dbUrl = await databaseUrl(config);
  if (isRolloutCommand(cmd)) {
    if (dbUrl === null) throw new SetupError('rollout plans and history live in the proxy\'s PostgreSQL: set DATABASE_URL, or start the local stack (npm start)');
    return openDatabase(dbUrl);
  }
  if (dbUrl === null) return null;
  if (cmd.kind === 'status') {
    return openDatabase(dbUrl).catch((err: Error) => {
      note(`rollout plans unavailable (${err.message})`);
      return null;
    });
  }
  if (manualChange(cmd) === null) return null;
  return openDatabase(dbUrl).catch((err: Error) => {
    note(`the route history is unavailable (${err.message}); this change will not be recorded`);
    return null;
  });
}

/** Run one command with the clients it needs; the text to print. */
async function execute(cmd: ReleaseCommand, config: FlagsCliConfig): Promise<string> {
  const pool = await databaseFor(cmd, config);
  try {
    const admin = await adminClient(config);
    try {
      if (isRolloutCommand(cmd)) return await runRolloutCommand(cmd, { pool: pool!, admin, actor: actor(), now: Date.now });
      let out = await runCommand(cmd, admin);
      const change = manualChange(cmd);
      if (change !== null && pool !== null) {
        const event = { at: Date.now(), route: change.route, kind: 'manual-flag-change', actor: actor(), summary: change.summary, detail: change.detail };
        await appendRouteEvent(pool, event).catch((err: Error) => note(`the change is made but not recorded in the route history: ${err.message}`));
      } else if (change !== null) {
        note('the change is made but not recorded in the route history (no DATABASE_URL or .stack/database.json)');
      }
      if (cmd.kind === 'status' && pool !== null) out += `\n\n${formatPlans(await new PgRolloutStore(pool).list(), Date.now())}`;
      return out;
    } finally {
      await admin.close();
    }
  } finally {
    await pool?.end();
  }
}

async function main(argv: string[]): Promise<number> {
  let cmd: ReleaseCommand;
  try {
    cmd = parseCommand(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`flags: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  const offline = offlineOutput(cmd);
  if (offline !== undefined) {
    process.stdout.write(`${offline}\n`);
    return 0;
  }
  try {
    process.stdout.write(`${await execute(cmd, flagsCliConfigFromProcess())}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SetupError || err instanceof RolloutStateError) {
      process.stderr.write(`flags: ${err.message}\n`);
      return 2;
    }
    if (err instanceof UnleashAdminError) {
      process.stderr.write(`flags: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`flags: unexpected failure: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
