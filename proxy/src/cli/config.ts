/**
 * The report CLI's environment: where the comparison store is. Read once, validated. Without
 * DATABASE_URL it falls back to the local stack's `<STACK_DIR>/database.json`, written by
 * `npm start` while its embedded PostgreSQL runs, so `npm run report` works beside the stack.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, optional, url, z, type Env } from '@smp/platform';

const schema = z.object({
  DATABASE_URL: optional(url(['postgres:', 'postgresql:'])),
  STACK_DIR: z.string().default('.stack'),
});

export type ReportCliConfig = Readonly<z.output<typeof schema>>;

export function reportCliConfig(env: Env = process.env): ReportCliConfig {
  return loadConfig(schema, env);
}

/** The running local stack's database URL, or undefined when no stack file is there. */
export function stackDatabaseUrl(stackDir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(stackDir, 'database.json'), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = z.object({ url: url(['postgres:', 'postgresql:']) }).safeParse(JSON.parse(text));
  return parsed.success ? parsed.data.url : undefined;
}
