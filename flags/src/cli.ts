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
import { ConfigError } from '@smp/platform';
import { UnleashAdminClient, UnleashAdminError } from './admin-client.js';
import { flagsCliConfigFromProcess, type FlagsCliConfig } from './config.js';
import { offlineOutput, parseCommand, runCommand, USAGE, UsageError, type ReleaseCommand } from './release-commands.js';
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
  let admin: UnleashAdminClient;
  try {
    admin = await adminClient(flagsCliConfigFromProcess());
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SetupError) {
      process.stderr.write(`flags: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  try {
    process.stdout.write(`${await runCommand(cmd, admin)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UnleashAdminError) {
      process.stderr.write(`flags: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await admin.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`flags: unexpected failure: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
