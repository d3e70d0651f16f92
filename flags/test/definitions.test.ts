import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InMemStorageProvider, Unleash, type UnleashConfig } from 'unleash-client';
import { clientFeaturesDocument, flagName, migrationFlags, parseFlagName, ROUTE_IDS, type ClientFeaturesDocument } from '../src/definitions.js';

/** unleash-client on a bootstrap only: no URL polled (refreshInterval 0), no metrics, no backup file. */
async function bootstrapped(bootstrap: { data?: ClientFeaturesDocument['features']; filePath?: string }): Promise<{ unleash: Unleash; warnings: string[] }> {
  const warnings: string[] = [];
  const unleash = new Unleash({
    appName: 'flags-test',
    url: 'http://127.0.0.1:9/api',
    refreshInterval: 0,
    disableMetrics: true,
    storageProvider: new InMemStorageProvider(),
    // Our payload type is the literal 'json'; unleash-client declares its PayloadType enum.
    bootstrap: bootstrap as UnleashConfig['bootstrap'],
  });
  unleash.on('warn', (m: string) => warnings.push(m));
  unleash.on('error', (e: Error) => warnings.push(e.message));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready: ${warnings.join('; ')}`)), 5_000);
    unleash.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { unleash, warnings };
}

describe('migration flag definitions', function () {
  it('defines live and shadow flags for ml-predict, ml-models, ml-anomaly and ml-drift, disabled at rollout 0, type release', function () {
    assert.deepEqual(ROUTE_IDS, ['ml-predict', 'ml-models', 'ml-anomaly', 'ml-drift']);
    const flags = migrationFlags();
    assert.deepEqual(
      flags.map((f) => f.name),
      ROUTE_IDS.flatMap((r) => [`migrate.${r}.live`, `migrate.${r}.shadow`]),
    );
    for (const f of flags) {
      assert.equal(f.type, 'release');
      assert.equal(f.defaultRollout, 0);
      assert.equal(f.defaultEnabled, false);
      assert.ok(f.description.length > 20, f.name);
    }
  });

  const names: Array<[string, ReturnType<typeof parseFlagName>]> = [
    ['migrate.ml-predict.live', { routeId: 'ml-predict', kind: 'live' }],
    ['migrate.ml-drift.shadow', { routeId: 'ml-drift', kind: 'shadow' }],
    ['migrate.ml-predict.dark', undefined],
    ['migrate.unknown.live', undefined],
    ['ml-predict.live', undefined],
  ];
  for (const [name, parsed] of names) {
    it(`reads flag name ${name} as ${JSON.stringify(parsed)}`, function () {
      assert.deepEqual(parseFlagName(name), parsed);
      if (parsed) assert.equal(flagName(parsed.routeId, parsed.kind), name);
    });
  }
});

describe('the client-features bootstrap document', function () {
  it('has version 2 and one flexibleRollout strategy per flag (rollout "0", stickiness default, groupId = flag name)', function () {
    const doc = clientFeaturesDocument();
    assert.equal(doc.version, 2);
    assert.equal(doc.features.length, 8);
    for (const f of doc.features) {
      assert.equal(f.enabled, false);
      assert.equal(f.project, 'default');
      assert.deepEqual(f.strategies, [{ name: 'flexibleRollout', parameters: { rollout: '0', stickiness: 'default', groupId: f.name }, constraints: [], variants: [] }]);
    }
  });

  it('refuses a setting for a flag that is not a migration flag, and a rollout of 101', function () {
    assert.throws(() => clientFeaturesDocument({ 'migrate.nope.live': { enabled: true } }), /not a migration flag: migrate\.nope\.live/);
    assert.throws(() => clientFeaturesDocument({ 'migrate.ml-predict.live': { rollout: 101 } }), /rollout must be an integer 0\.\.100, got 101/);
  });

  it('is accepted by unleash-client as bootstrap data with no warning: every flag off for every client', async function () {
    const { unleash, warnings } = await bootstrapped({ data: clientFeaturesDocument().features });
    try {
      for (const f of migrationFlags()) {
        assert.equal(unleash.isEnabled(f.name, { userId: 'u1' }), false, f.name);
        assert.ok(unleash.getFeatureToggleDefinition(f.name), `${f.name} known to the client`);
      }
      assert.deepEqual(warnings, []);
    } finally {
      unleash.destroy();
    }
  });

  it('sends 30 ± 2% of 10,000 userIds to the candidate at rollout=30, and keeps all of them at rollout=50 (read from a bootstrap file)', async function () {
    const dir = await mkdtemp(path.join(tmpdir(), 'flags-bootstrap-'));
    const at = async (rollout: number) => {
      const file = path.join(dir, `at-${rollout}.json`);
      await writeFile(file, JSON.stringify(clientFeaturesDocument({ 'migrate.ml-predict.live': { enabled: true, rollout } })));
      const { unleash, warnings } = await bootstrapped({ filePath: file });
      try {
        assert.deepEqual(warnings, []);
        const on = new Set<number>();
        for (let i = 0; i < 10_000; i++) if (unleash.isEnabled('migrate.ml-predict.live', { userId: `client-${i}` })) on.add(i);
        assert.equal(unleash.isEnabled('migrate.ml-predict.shadow', { userId: 'client-1' }), false);
        return on;
      } finally {
        unleash.destroy();
      }
    };
    try {
      const at30 = await at(30);
      assert.ok(Math.abs(at30.size - 3_000) <= 200, `${at30.size} of 10,000`);
      const at50 = await at(50);
      assert.ok(Math.abs(at50.size - 5_000) <= 200, `${at50.size} of 10,000`);
      assert.deepEqual([...at30].filter((i) => !at50.has(i)), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives unleash-client the variant payloads: v2@10 -> about 10% of clients see {"model_version":"2"}', async function () {
    const doc = clientFeaturesDocument({
      'migrate.ml-predict.live': { enabled: true, rollout: 100, variants: [{ name: 'v1', payload: { model_version: '1' } }, { name: 'v2', payload: { model_version: '2' }, percent: 10 }] },
    });
    const { unleash } = await bootstrapped({ data: doc.features });
    try {
      const counts: Record<string, number> = {};
      for (let i = 0; i < 5_000; i++) {
        const v = unleash.getVariant('migrate.ml-predict.live', { userId: `client-${i}` });
        assert.equal(v.enabled, true);
        const version = (JSON.parse(v.payload!.value) as { model_version: string }).model_version;
        counts[`${v.name}:${version}`] = (counts[`${v.name}:${version}`] ?? 0) + 1;
      }
      assert.deepEqual(Object.keys(counts).sort(), ['v1:1', 'v2:2']);
      assert.ok(Math.abs(counts['v2:2'] - 500) <= 100, JSON.stringify(counts));
    } finally {
      unleash.destroy();
    }
  });
});
