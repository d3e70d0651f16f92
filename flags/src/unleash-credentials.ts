/**
 * The local stack's Unleash credentials file (`<STACK_DIR>/unleash.json`, mode 0600): written by
 * `npm start` so the tokens and UI login stay the same across restarts of the stack, and read by
 * the flags CLI when UNLEASH_URL / UNLEASH_ADMIN_TOKEN are not set, so that
 * `npm run flags -- status` works against the local stack with no setup.
 *
 *   {"url":"http://127.0.0.1:4242","adminToken":"*:*.…","clientToken":"*:development.…",
 *    "uiLogin":{"username":"admin","password":"…"}}
 */
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from '@smp/platform';

const schema = z.object({
  url: z.string().url(),
  adminToken: z.string().min(1),
  clientToken: z.string().min(1),
  uiLogin: z.object({ username: z.string().min(1), password: z.string().min(1) }),
});

/** What the stack remembers about its Unleash server. */
export type UnleashCredentials = z.output<typeof schema>;

export const CREDENTIALS_FILE = 'unleash.json';

/** The credentials in `dir`, or undefined when there is no file; a corrupt file is an error naming it. */
export async function readUnleashCredentials(dir: string): Promise<UnleashCredentials | undefined> {
  const file = path.join(dir, CREDENTIALS_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not JSON; delete it and restart the stack`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new Error(`${file} is not a credentials file (${result.error.issues[0]?.path.join('.')}: ${result.error.issues[0]?.message}); delete it and restart the stack`);
  return result.data;
}

/** Writes the file atomically, readable by its owner only. */
export async function writeUnleashCredentials(dir: string, credentials: UnleashCredentials): Promise<void> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, CREDENTIALS_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(schema.parse(credentials), null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}
