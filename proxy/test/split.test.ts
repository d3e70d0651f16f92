import assert from 'node:assert/strict';
import { silentLogger } from '@smp/platform';
import { http } from '@smp/platform/testkit';
import { compileRouteTable, type Route } from '../src/routing/route-table.js';
import { FlagSource } from '../src/split/flag-source.js';
import { MemoryRepository } from '../src/split/memory-repository.js';
import { Splitter } from '../src/split/splitter.js';
import { BreakerRegistry } from '../src/upstream/circuit-breaker.js';
import { features } from './support/flag-features.js';
import { startHarness, type Harness } from './support/proxy-harness.js';

const UPSTREAMS = { legacy: 'http://127.0.0.1:1', prediction: 'http://127.0.0.1:2' };
const LIVE = 'migrate.ml-predict.live';

describe('split: Unleash percentage per route, sticky per client', function () {
  let repo: MemoryRepository;
  let flags: FlagSource;
  let splitter: Splitter;
  let route: Route;
  const clients = Array.from({ length: 10_000 }, (_, i) => ({ 'x-api-key': `client-key-${i}` }));
  const candidates = (): Set<number> => {
    const out = new Set<number>();
    clients.forEach((headers, i) => {
      if (splitter.decide(route, headers, '127.0.0.1').target === 'candidate') out.add(i);
    });
    return out;
  };

  before(async function () {
    repo = new MemoryRepository(features({ [LIVE]: 30 }));
    flags = await FlagSource.open({ logger: silentLogger(), appName: 'split-test', repository: repo });
    splitter = new Splitter(flags, new BreakerRegistry({ threshold: 5, openMs: 1000, now: Date.now }), null);
    route = compileRouteTable({ routes: [{ id: 'ml-predict', match: { path: '/p' }, legacy: 'legacy', candidate: 'prediction' }] }, UPSTREAMS).byId('ml-predict')!;
  });
  after(function () {
    flags?.close();
  });

  it('sends 30 ± 2% of 10,000 clients to the candidate at rollout=30', function () {
    const share = candidates().size / clients.length;
    assert.ok(Math.abs(share - 0.3) <= 0.02, `share was ${share}`);
  });

  it('sends the same client to the same side on 5 repeated requests', function () {
    const first = candidates();
    for (let round = 0; round < 4; round++) assert.deepEqual(candidates(), first);
  });

  it('keeps every candidate client of rollout=30 on the candidate at rollout=50, which serves 50 ± 2%', function () {
    const at30 = candidates();
    repo.setFeatures(features({ [LIVE]: 50 }));
    const at50 = candidates();
    const lost = [...at30].filter((i) => !at50.has(i));
    assert.deepEqual(lost, []);
    assert.ok(Math.abs(at50.size / clients.length - 0.5) <= 0.02, `share was ${at50.size / clients.length}`);
    assert.equal(flags.percent(LIVE), 50);
  });

  const reasons: Array<[string, () => void, string]> = [
    ['a missing flag means legacy (flag-off)', () => repo.setFeatures(features({})), 'flag-off'],
    ['a disabled flag means legacy (flag-off)', () => repo.setFeatures(features({ [LIVE]: { rollout: 100, enabled: false } })), 'flag-off'],
    ['rollout=0 means legacy for everyone (flag)', () => repo.setFeatures(features({ [LIVE]: 0 })), 'flag'],
  ];
  for (const [what, setup, reason] of reasons) {
    it(what, function () {
      setup();
      assert.equal(candidates().size, 0);
      assert.equal(splitter.decide(route, clients[0], undefined).reason, reason);
    });
  }

  it('reads the shadow flag into the decision: 20 ± 2% of clients at shadow rollout=20', function () {
    repo.setFeatures(features({ 'migrate.ml-predict.shadow': 20 }));
    const shadowed = clients.filter((h) => splitter.decide(route, h, undefined).shadow).length / clients.length;
    assert.ok(Math.abs(shadowed - 0.2) <= 0.02, `share was ${shadowed}`);
  });
});

describe('split through the proxy', function () {
  let h: Harness;
  let allowed = true;

  before(async function () {
    h = await startHarness({
      flags: features({ 'migrate.predict.live': { rollout: 100, variants: [{ name: 'v2', payload: '{"model_version":"2"}' }] } }),
      hooks: { gate: { isAllowed: () => allowed } },
    });
  });
  after(async function () {
    await h?.close();
  });

  it('sends a 100% route to the candidate with X-Migrate-Variant: v2 and its payload', async function () {
    const res = await http(`${h.proxy.url}/api/v1/ml/predict`, { body: { x: 1 }, headers: { 'x-api-key': 'k1', 'x-migrate-variant': 'forged' } });
    assert.equal(res.status, 200);
    assert.equal(res.json.upstream, 'candidate');
    assert.equal(res.json.headers['x-migrate-variant'], 'v2');
    assert.equal(res.json.headers['x-migrate-variant-payload'], '{"model_version":"2"}');
  });

  it('sends everything to legacy while the CandidateGate refuses the route, without variant headers', async function () {
    allowed = false;
    try {
      const res = await http(`${h.proxy.url}/api/v1/ml/predict`, { body: { x: 1 }, headers: { 'x-api-key': 'k1', 'x-migrate-variant': 'forged' } });
      assert.equal(res.json.upstream, 'legacy');
      assert.equal(res.json.headers['x-migrate-variant'], undefined);
    } finally {
      allowed = true;
    }
  });

  it('shows the live flag at 100% with its variant on GET /status', async function () {
    const res = await http(`${h.proxy.adminUrl}/status`, { headers: h.adminHeaders });
    const predict = res.json.routes.find((r: { id: string }) => r.id === 'predict');
    assert.deepEqual(predict.flags.live, { name: 'migrate.predict.live', exists: true, enabled: true, percent: 100, variants: ['v2'] });
    assert.equal(predict.flags.shadow.exists, false);
  });
});
