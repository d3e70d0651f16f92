/**
 * The stack's Unleash: an embedded unleash-server (from @smp/flags) on the stack's PostgreSQL, or
 * the server UNLEASH_URL names. Either way the migration flags are made sure of (created disabled at
 * 0% when missing; existing ones untouched, so a restart keeps every ramp) and later components get
 *   UNLEASH_URL=http://127.0.0.1:4242/api  UNLEASH_API_TOKEN=<client>  UNLEASH_ADMIN_TOKEN=<admin>
 * The embedded server's tokens and UI login are kept in `<STACK_DIR>/unleash.json`, so they stay
 * the same across restarts and the flags CLI finds them.
 */
import {
  generatePassword,
  generateTokens,
  migrationFlags,
  startEmbeddedUnleash,
  UnleashAdminClient,
  UnleashAdminError,
  unleashBaseUrl,
  readUnleashCredentials,
  writeUnleashCredentials,
  type EmbeddedUnleash,
} from '@smp/flags';
import type { StackComponent, StartedComponent } from './component.js';

export interface ExternalUnleash {
  url: string;
  clientToken: string;
  adminToken: string;
}

export interface FlagServerSpec {
  stackDir: string;
  /** Given: use that server. Absent: start one embedded. */
  external?: ExternalUnleash;
  port: number;
  environment: string;
  /** A database of the embedded server's own (UNLEASH_DATABASE_URL); else the embedded PostgreSQL's. */
  databaseUrl?: string;
  /** The stack's DATABASE_URL when given: the embedded server then uses its schema `unleash`. */
  sharedDatabaseUrl?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  startTimeoutMs: number;
  stopTimeoutMs: number;
  output: (name: string, line: string) => void;
  /** Renders Unleash's JSON log lines like the services' (log-lines.ts). */
  render: (line: string) => string;
}

async function ensureMigrationFlags(admin: UnleashAdminClient, log: (line: string) => void): Promise<void> {
  const results = await admin.ensureFlags(migrationFlags());
  const created = results.filter((r) => r.created || r.revived || r.strategyAdded).map((r) => r.name);
  log(created.length > 0 ? `migration flags created (off, 0%): ${created.join(', ')}` : `all ${results.length} migration flags present`);
}

export function flagServer(spec: FlagServerSpec): StackComponent {
  const name = 'unleash';
  const log = (line: string) => spec.output(name, line);
  return {
    name,
    async start(env): Promise<StartedComponent> {
      if (spec.external) {
        const { url, clientToken, adminToken } = spec.external;
        const admin = new UnleashAdminClient({ url, token: adminToken, environment: spec.environment, timeoutMs: 5_000 });
        try {
          await ensureMigrationFlags(admin, log);
        } catch (err) {
          throw new Error(`unleash: ${err instanceof UnleashAdminError ? err.message : (err as Error).message}`);
        } finally {
          await admin.close();
        }
        return {
          endpoints: { 'Unleash (given)': unleashBaseUrl(url) },
          env: { UNLEASH_URL: `${unleashBaseUrl(url)}/api`, UNLEASH_API_TOKEN: clientToken, UNLEASH_ADMIN_TOKEN: adminToken },
          stop: async () => undefined,
        };
      }

      const dedicated = spec.databaseUrl ?? env.UNLEASH_DATABASE_URL;
      const databaseUrl = dedicated ?? env.DATABASE_URL ?? spec.sharedDatabaseUrl;
      if (!databaseUrl) throw new Error('unleash: no database (neither DATABASE_URL nor the embedded PostgreSQL)');
      const kept = await readUnleashCredentials(spec.stackDir).catch((err: Error) => {
        log(`${err.message}; making new credentials`);
        return undefined;
      });
      const tokens = kept ?? { ...generateTokens(spec.environment), uiLogin: { username: 'admin', password: generatePassword() } };
      let server: EmbeddedUnleash;
      try {
        server = await startEmbeddedUnleash({
          databaseUrl,
          // A database of its own keeps Unleash's tables in `public`; a shared one gets a schema.
          schema: dedicated ? 'public' : 'unleash',
          port: spec.port,
          host: '127.0.0.1',
          adminToken: tokens.adminToken,
          clientToken: tokens.clientToken,
          environment: spec.environment,
          uiLogin: tokens.uiLogin,
          logLevel: spec.logLevel,
          output: (line) => spec.output(name, spec.render(line)),
          startTimeoutMs: spec.startTimeoutMs,
          stopTimeoutMs: spec.stopTimeoutMs,
        });
      } catch (err) {
        throw new Error(`unleash: ${(err as Error).message}`);
      }
      const admin = new UnleashAdminClient({ url: server.url, token: server.adminToken, environment: spec.environment });
      try {
        await writeUnleashCredentials(spec.stackDir, { url: server.url, adminToken: server.adminToken, clientToken: server.clientToken, uiLogin: server.uiLogin });
        await ensureMigrationFlags(admin, log);
      } catch (err) {
        await server.close();
        throw new Error(`unleash: ${(err as Error).message}`);
      } finally {
        await admin.close();
      }
      return {
        endpoints: { 'Unleash UI': `${server.url}  (login ${server.uiLogin.username} / ${server.uiLogin.password})` },
        env: { UNLEASH_URL: server.apiUrl, UNLEASH_API_TOKEN: server.clientToken, UNLEASH_ADMIN_TOKEN: server.adminToken },
        exited: server.exited,
        stop: () => server.close(),
      };
    },
  };
}
