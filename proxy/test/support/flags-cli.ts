/**
 * The release managers' CLI (`npm run flags -- …`) as a real child process, for tests:
 *
 *   const out = await flagsCli(['rollout', 'ml-predict', '--steps', '50,100'], { UNLEASH_URL, … });
 *   out.code, out.stdout, out.stderr
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';

const CLI = createRequire(import.meta.url).resolve('@smp/flags/cli');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function flagsCli(args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? Number((err as { code: number }).code) : 1;
      resolve({ code, stdout, stderr });
    });
  });
}
