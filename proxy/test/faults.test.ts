import assert from 'node:assert/strict';
import { runFaultSuite } from '../faults/fault-suite.js';

// The quick half of `npm run test:faults` (real proxy, upstream, Redis-free processes): scenario 1
// (every candidate fault, 2 s at 300 req/s each, live 50% + shadow 100%), SIGTERM under load, and
// bad input at both ports. The whole suite: `npm run test:faults`.
describe('fault suite, quick half (real processes on 127.0.0.1)', function () {
  this.timeout(240_000);

  it('no idempotent client failure, nothing lost or duplicated, bad input refused, in-flight requests finish on SIGTERM', async function () {
    const lines: string[] = [];
    const { rows, table } = await runFaultSuite(true, (l) => lines.push(l));
    process.stdout.write(`${table}\n`);
    assert.ok(rows.length >= 11, `expected every quick scenario to report, got ${rows.length}`);
    const broken = rows.filter((r) => r.problems.length > 0).map((r) => `${r.scenario}: ${r.problems.join('; ')}`);
    assert.deepEqual(broken, [], `${broken.join('\n')}\n${lines.join('\n')}`);
  });
});
