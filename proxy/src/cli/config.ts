/** The report CLI's environment: where the comparison store is. Read once, validated. */
import { loadConfig, optional, url, z, type Env } from '@smp/platform';

const schema = z.object({
  DATABASE_URL: optional(url(['postgres:', 'postgresql:'])),
});

export type ReportCliConfig = Readonly<z.output<typeof schema>>;

export function reportCliConfig(env: Env = process.env): ReportCliConfig {
  return loadConfig(schema, env);
}
