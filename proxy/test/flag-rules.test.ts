import assert from 'node:assert/strict';
import type { FeatureInterface } from 'unleash-client/lib/feature.js';
import { apiKeyUserId, clientContext } from '../src/split/client-context.js';
import { hasVariants, rolloutPercent } from '../src/split/rollout.js';

const flexible = (rollout: string) => ({ name: 'flexibleRollout', parameters: { rollout, stickiness: 'default' }, constraints: [] });

describe('flag rules', function () {
  describe('rollout percentage read from a flag definition', function () {
    const cases: Array<[string, FeatureInterface | undefined, number]> = [
      ['a missing flag is 0%', undefined, 0],
      ['a disabled flag at 30% is 0%', { name: 'f', enabled: false, strategies: [flexible('30')] }, 0],
      ['flexibleRollout 30 is 30%', { name: 'f', enabled: true, strategies: [flexible('30')] }, 30],
      ['the largest of two strategies (10, 45) is 45%', { name: 'f', enabled: true, strategies: [flexible('10'), flexible('45')] }, 45],
      ['a default strategy is 100%', { name: 'f', enabled: true, strategies: [{ name: 'default', parameters: {}, constraints: [] }] }, 100],
      ['an enabled flag without strategies is 100%', { name: 'f', enabled: true, strategies: [] }, 100],
      ['a rollout of "abc" is 0%', { name: 'f', enabled: true, strategies: [flexible('abc')] }, 0],
      ['a rollout of 150 is capped at 100%', { name: 'f', enabled: true, strategies: [flexible('150')] }, 100],
    ];
    for (const [what, feature, expected] of cases) {
      it(what, function () {
        assert.equal(rolloutPercent(feature), expected);
      });
    }
  });

  describe('variants', function () {
    const cases: Array<[string, FeatureInterface | undefined, boolean]> = [
      ['no variants', { name: 'f', enabled: true, strategies: [flexible('5')] }, false],
      ['flag-level variants', { name: 'f', enabled: true, strategies: [], variants: [{ name: 'v2', weight: 1000 }] }, true],
      ['strategy variants', { name: 'f', enabled: true, strategies: [{ ...flexible('5'), variants: [{ name: 'v2', weight: 1000 }] }] }, true],
    ];
    for (const [what, feature, expected] of cases) {
      it(`${what}: ${expected}`, function () {
        assert.equal(hasVariants(feature), expected);
      });
    }
  });

  describe('Unleash context of a request', function () {
    const cases: Array<[string, Record<string, string>, string | undefined, object]> = [
      ['API key and session', { 'x-api-key': 'key-1', 'x-session-id': 's-9' }, '10.0.0.1', { userId: apiKeyUserId('key-1'), sessionId: 's-9', remoteAddress: '10.0.0.1' }],
      ['only the client IP: the IP becomes the session, so anonymous clients are sticky', {}, '10.0.0.2', { sessionId: 'ip:10.0.0.2', remoteAddress: '10.0.0.2' }],
      ['API key without session: the IP session is still set (userId wins in bucketing)', { 'x-api-key': 'k' }, '10.0.0.3', { userId: apiKeyUserId('k'), sessionId: 'ip:10.0.0.3', remoteAddress: '10.0.0.3' }],
      ['an empty API key is no key', { 'x-api-key': '' }, undefined, {}],
    ];
    for (const [what, headers, ip, expected] of cases) {
      it(what, function () {
        assert.deepEqual(clientContext(headers, ip), expected);
      });
    }

    it('never puts the API key itself in the context', function () {
      const ctx = clientContext({ 'x-api-key': 'secret-key-123' }, undefined);
      assert.ok(!JSON.stringify(ctx).includes('secret-key-123'));
      assert.equal(ctx.userId, apiKeyUserId('secret-key-123'));
    });
  });
});
