import assert from 'node:assert/strict';
import { parseVariantArg, toVariantDefinitions, VariantError, type VariantSpec } from '../src/variants.js';

describe('variant arguments (<name>[@<percent>]=<json>)', function () {
  const good: Array<[string, VariantSpec]> = [
    ['v2={"model_version":"2"}', { name: 'v2', payload: { model_version: '2' } }],
    ['v2@10={"model_version":"2"}', { name: 'v2', payload: { model_version: '2' }, percent: 10 }],
    ['canary@12.5=["a",1]', { name: 'canary', payload: ['a', 1], percent: 12.5 }],
    ['plain="text"', { name: 'plain', payload: 'text' }],
    ['model-v_3.1@0={}', { name: 'model-v_3.1', payload: {}, percent: 0 }],
  ];
  for (const [arg, spec] of good) {
    it(`reads ${arg} as ${JSON.stringify(spec)}`, function () {
      assert.deepEqual(parseVariantArg(arg), spec);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['v2', /expected <name>\[@<percent>\]=<json>/],
    ['={"a":1}', /expected <name>/],
    ['v2={model_version:2}', /variant "v2": payload is not valid JSON/],
    ['v2@101={}', /percent must be a number 0\.\.100/],
    ['v2@ten={}', /percent must be a number 0\.\.100/],
    ['v2@1.25={}', /at most one decimal/],
    ['bad name={}', /the name must be letters, digits/],
    ['a@1@2={}', /the name must be letters, digits/],
  ];
  for (const [arg, message] of bad) {
    it(`refuses ${arg} with ${message}`, function () {
      assert.throws(() => parseVariantArg(arg), (err: Error) => err instanceof VariantError && message.test(err.message));
    });
  }
});

describe('variant weights (thousandths, as the Unleash server computes them)', function () {
  const cases: Array<{ name: string; specs: VariantSpec[]; weights: Record<string, number> }> = [
    { name: 'one variant gets everything', specs: [{ name: 'v2', payload: {} }], weights: { v2: 1000 } },
    { name: 'three variable variants split 334/333/333, the first takes the remainder', specs: [{ name: 'a', payload: 1 }, { name: 'b', payload: 2 }, { name: 'c', payload: 3 }], weights: { a: 334, b: 333, c: 333 } },
    { name: 'v2@10 leaves 90% to v1', specs: [{ name: 'v1', payload: 1 }, { name: 'v2', payload: 2, percent: 10 }], weights: { v1: 900, v2: 100 } },
    { name: 'v2@12.5 and v3@0 leave 87.5% to v1', specs: [{ name: 'v1', payload: 1 }, { name: 'v2', payload: 2, percent: 12.5 }, { name: 'v3', payload: 3, percent: 0 }], weights: { v1: 875, v2: 125, v3: 0 } },
  ];
  for (const c of cases) {
    it(c.name, function () {
      const defs = toVariantDefinitions(c.specs);
      assert.deepEqual(Object.fromEntries(defs.map((d) => [d.name, d.weight])), c.weights);
      assert.equal(defs.reduce((s, d) => s + d.weight, 0), 1000);
      assert.deepEqual(defs.map((d) => d.name), [...defs.map((d) => d.name)].sort((a, b) => a.localeCompare(b)), 'sorted by name like the server');
    });
  }

  it('encodes the payload as a JSON string with type json and default stickiness', function () {
    const [d] = toVariantDefinitions([{ name: 'v2', payload: { model_version: '2' } }]);
    assert.deepEqual(d, { name: 'v2', weight: 1000, weightType: 'variable', stickiness: 'default', payload: { type: 'json', value: '{"model_version":"2"}' } });
  });

  const refused: Array<[string, VariantSpec[], RegExp]> = [
    ['every variant fixed', [{ name: 'a', payload: 1, percent: 50 }, { name: 'b', payload: 2, percent: 50 }], /leave at least one variant without @<percent>/],
    ['fixed percents over 100', [{ name: 'a', payload: 1, percent: 60 }, { name: 'b', payload: 2, percent: 50 }, { name: 'c', payload: 3 }], /add up to 110%, more than 100%/],
    ['a name given twice', [{ name: 'a', payload: 1 }, { name: 'a', payload: 2 }], /variant "a" is given twice/],
  ];
  for (const [what, specs, message] of refused) {
    it(`refuses ${what}`, function () {
      assert.throws(() => toVariantDefinitions(specs), (err: Error) => err instanceof VariantError && message.test(err.message));
    });
  }
});
