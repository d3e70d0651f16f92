import assert from 'node:assert/strict';
import type { FlagState } from '../src/admin-client.js';
import { formatStatus, parseCommand, UsageError, type ReleaseCommand } from '../src/release-commands.js';

describe('release-manager command lines', function () {
  const good: Array<[string[], ReleaseCommand]> = [
    [[], { kind: 'help' }],
    [['--help'], { kind: 'help' }],
    [['status'], { kind: 'status', routes: [] }],
    [['status', 'ml-predict', 'ml-drift'], { kind: 'status', routes: ['ml-predict', 'ml-drift'] }],
    [['live', 'ml-predict', '30'], { kind: 'rollout', flag: 'live', route: 'ml-predict', percent: 30 }],
    [['live', 'ml-models', '100%'], { kind: 'rollout', flag: 'live', route: 'ml-models', percent: 100 }],
    [['shadow', 'ml-anomaly', '0'], { kind: 'rollout', flag: 'shadow', route: 'ml-anomaly', percent: 0 }],
    [['off', 'ml-drift'], { kind: 'off', route: 'ml-drift' }],
    [['variant', 'ml-predict', 'v1={"model_version":"1"}', 'v2@10={"model_version":"2"}'], {
      kind: 'variants',
      route: 'ml-predict',
      variants: [{ name: 'v1', payload: { model_version: '1' } }, { name: 'v2', payload: { model_version: '2' }, percent: 10 }],
    }],
    [['variant', 'ml-predict', '--clear'], { kind: 'variants', route: 'ml-predict', variants: [] }],
    [['ensure'], { kind: 'ensure' }],
    [['bootstrap'], { kind: 'bootstrap' }],
  ];
  for (const [argv, cmd] of good) {
    it(`reads "${argv.join(' ')}" as ${cmd.kind}`, function () {
      assert.deepEqual(parseCommand(argv), cmd);
    });
  }

  const bad: Array<[string[], RegExp]> = [
    [['live', 'ml-nope', '10'], /unknown route "ml-nope"; routes: ml-predict, ml-models, ml-anomaly, ml-drift/],
    [['live', 'ml-predict', '101'], /percent must be an integer 0\.\.100, got "101"/],
    [['live', 'ml-predict', '-5'], /percent must be an integer 0\.\.100, got "-5"/],
    [['shadow', 'ml-predict', '12.5'], /percent must be an integer 0\.\.100, got "12\.5"/],
    [['live', 'ml-predict'], /live takes 2 arguments, got 1/],
    [['off'], /off takes 1 argument, got 0/],
    [['variant', 'ml-predict'], /give at least one <name>\[@<percent>\]=<json>, or --clear/],
    [['variant', 'ml-predict', 'v2@50={}', 'v3@50={}'], /leave at least one variant without @<percent>/],
    [['variant', 'ml-predict', 'v2={oops}'], /payload is not valid JSON/],
    [['status', 'predict'], /unknown route "predict"/],
    [['launch', 'ml-predict'], /unknown command "launch"/],
  ];
  for (const [argv, message] of bad) {
    it(`refuses "${argv.join(' ')}" with ${message}`, function () {
      assert.throws(() => parseCommand(argv), (err: Error) => err instanceof UsageError && message.test(err.message));
    });
  }
});

describe('the status table', function () {
  const state = (name: string, enabled: boolean, rollout: number, extra: Partial<FlagState> = {}): FlagState => ({
    name,
    environment: 'development',
    enabled,
    archived: false,
    stale: false,
    description: '',
    rollout,
    strategyId: 's1',
    variants: [],
    otherStrategies: 0,
    ...extra,
  });

  it('shows on/off and % per route, the live variants, and says how to create missing flags', function () {
    const states = new Map<string, FlagState>([
      ['migrate.ml-predict.live', state('migrate.ml-predict.live', true, 30, { variants: [{ name: 'v2', weight: 1000, weightType: 'variable', payload: { model_version: '2' } }] })],
      ['migrate.ml-predict.shadow', state('migrate.ml-predict.shadow', false, 100, { otherStrategies: 1 })],
      ['migrate.ml-drift.live', state('migrate.ml-drift.live', false, 0)],
    ]);
    const text = formatStatus(['ml-predict', 'ml-drift'], states, 'Unleash http://u');
    assert.equal(
      text,
      [
        'Unleash http://u',
        '',
        'route       live      shadow                        variants (live)',
        'ml-predict  on   30%  off 100% (+1 other strategy)  v2 100% {"model_version":"2"}',
        'ml-drift    off   0%  missing                       -',
        '',
        'missing flags: run `npm run flags -- ensure` (npm start creates them too)',
      ].join('\n'),
    );
  });
});
