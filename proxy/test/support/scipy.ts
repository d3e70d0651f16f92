/**
 * Runs a Python snippet with Debian's /usr/bin/python3 (python3-scipy, python3-numpy) and returns
 * its JSON output: the reference for the statistics the proxy computes itself.
 *
 *   const ref = scipyReference<number[]>(`print(json.dumps([float(stats.bernoulli.logpmf(1, 0.3))]))`);
 *
 * Returns a string saying why when python3 or scipy is missing (the caller skips locally and fails
 * under CI=true: a missing reference is never a pass).
 */
import { spawnSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';
const PRELUDE = 'import json, sys\nimport numpy as np\nfrom scipy import stats\n';

export function scipyReference<T>(code: string, input: unknown = null): T | string {
  const run = spawnSync(PYTHON, ['-c', PRELUDE + code], { input: JSON.stringify(input), encoding: 'utf8', timeout: 60_000 });
  if (run.error) return `${PYTHON} could not run: ${run.error.message}`;
  if (run.status !== 0) {
    if (/ModuleNotFoundError/.test(run.stderr)) return `python3-scipy/numpy missing (apt-get install python3-scipy): ${run.stderr.trim().split('\n').pop()}`;
    throw new Error(`reference script failed: ${run.stderr}`);
  }
  return JSON.parse(run.stdout) as T;
}

/** In a mocha test: skip when the reference is unavailable, fail instead under CI=true. */
export function requireReference<T>(ctx: Mocha.Context, ref: T | string): T {
  if (typeof ref !== 'string') return ref;
  if (process.env.CI === 'true') throw new Error(`scipy reference unavailable under CI: ${ref}`);
  ctx.skip();
}
