/**
 * `npm run report -- --route ml-predict --since 1h [--json] [--database-url postgres://…]`
 * `npm run report -- --html report.html [--route ml-predict] [--since 1h]`
 *
 * Prints what the proxy recorded about its comparisons: counts, match rate, latency p50/p95/p99 of
 * both sides, model agreement per version pair, the paths that differ most with an example, and
 * recent rollbacks. With `--html FILE` it writes the HTML report instead (report/html/): one
 * self-contained file, scripts and styles inlined, that opens from disk with no network. Reads PostgreSQL directly (--database-url, else DATABASE_URL, else the running
 * local stack's), so it works with the proxy stopped.
 * Exit codes: 0 printed, 2 bad arguments or configuration, 1 the database could not be read.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ConfigError } from '@smp/platform';
import { summarizeComparisons } from '../report/comparison-query.js';
import { renderReportPage } from '../report/html/report-page.js';
import { buildReportData } from '../report/report-data.js';
import { formatSummary, parseSince } from '../report/summary-format.js';
import { reportCliConfig, stackDatabaseUrl } from './config.js';

const USAGE = 'usage: npm run report -- [--route <id>] [--since <90s|15m|1h|2d|ISO time>] [--json | --html <file>] [--database-url <postgres://…>]';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        route: { type: 'string' },
        since: { type: 'string', default: '1h' },
        json: { type: 'boolean', default: false },
        html: { type: 'string' },
        'database-url': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let databaseUrl: string | undefined;
  let since: Date;
  try {
    const config = reportCliConfig();
    databaseUrl = args['database-url'] ?? config.DATABASE_URL ?? stackDatabaseUrl(config.STACK_DIR);
    since = parseSince(args.since ?? '1h', Date.now());
  } catch (err) {
    process.stderr.write(`report: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    return 2;
  }
  if (!databaseUrl) {
    process.stderr.write(`report: DATABASE_URL is not set and no local stack runs (the proxy's comparison store); or pass --database-url\n${USAGE}\n`);
    return 2;
  }
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, connectionTimeoutMillis: 5_000, application_name: 'proxy-report' });
  pool.on('error', () => undefined);
  try {
    if (args.html !== undefined) {
      const data = await buildReportData(pool, { since, now: new Date(), ...(args.route ? { route: args.route } : {}) });
      const { html } = renderReportPage(data);
      await writeFile(args.html, html);
      process.stdout.write(`wrote ${args.html} (${Math.round(html.length / 1024)} KiB, ${data.routes.length} route${data.routes.length === 1 ? '' : 's'}, since ${data.since})\n`);
      return 0;
    }
    const summary = await summarizeComparisons(pool, { route: args.route, since });
    process.stdout.write(args.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    return 0;
  } catch (err) {
    const message = (err as { code?: string }).code === '42P01' ? 'no comparison tables in this database (has the proxy run with DATABASE_URL?)' : (err as Error).message;
    process.stderr.write(`report: cannot read the comparison store: ${message}\n`);
    return 1;
  } finally {
    await pool.end().catch(() => undefined);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`report: ${err.message}\n`);
    process.exitCode = 1;
  },
);
