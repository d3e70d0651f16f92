/**
 * The operators' command-line tools the tests run: `promtool` (Debian's `prometheus` package) and
 * `kubectl` (Debian's `kubectl`). `.ci/run` installs both; a missing one fails its test with the
 * install command, never skips it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's `compose/` folder (tests run from compose/dist/test/…). */
export const COMPOSE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const PACKAGES: Record<string, string> = { promtool: 'prometheus', kubectl: 'kubectl' };

export interface ToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run `tool args…` (stdin from `input`), in compose/; throws when the tool is not installed. */
export function runTool(tool: 'promtool' | 'kubectl', args: string[], input?: string): ToolResult {
  const res = spawnSync(tool, args, { cwd: COMPOSE_DIR, input, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (res.error && (res.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(`${tool} is not installed: apt-get install ${PACKAGES[tool]} (.ci/run does this)`);
  }
  if (res.error) throw res.error;
  return { status: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}
