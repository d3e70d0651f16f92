import assert from 'node:assert/strict';
import { compileRouteTable, rewritePath, RouteTableError } from '../src/routing/route-table.js';
import { compilePathTemplate, matchesPrefix } from '../src/routing/path-template.js';
import { readFileSync } from 'node:fs';
import { DEFAULT_ROUTES_FILE } from '../src/config.js';
import { ROUTE_IDS } from '@smp/flags';

const defaultRoutes: unknown = JSON.parse(readFileSync(DEFAULT_ROUTES_FILE, 'utf8'));

const UPSTREAMS = { legacy: 'http://127.0.0.1:8010', prediction: 'http://127.0.0.1:8001', anomaly: 'http://127.0.0.1:8002' };

describe('route table', function () {
  describe('the shipped default table', function () {
    it('has a candidate route for exactly the routes flags/ defines migration flags for', function () {
      const table = defaultRoutes as { routes: Array<{ id: string; candidate?: string }> };
      const withCandidate = table.routes.filter((r) => r.candidate !== undefined).map((r) => r.id).sort();
      assert.deepEqual(withCandidate, [...ROUTE_IDS].sort());
    });

    const table = compileRouteTable(defaultRoutes, UPSTREAMS);
    const cases: Array<[string, string, string, string | null]> = [
      ['POST', '/api/v1/ml/predict', 'ml-predict', 'prediction'],
      ['GET', '/api/v1/ml/predict', 'unmatched', null],
      ['GET', '/api/v1/ml/models', 'ml-models', 'prediction'],
      ['GET', '/api/v1/ml/models/failure_model/versions', 'ml-models', 'prediction'],
      ['GET', '/api/v1/ml/models/failure_model/latest', 'ml-models', 'prediction'],
      ['GET', '/api/v1/ml/modelsx', 'unmatched', null],
      ['POST', '/api/v1/ml/detect_anomaly', 'ml-anomaly', 'anomaly'],
      ['POST', '/api/v1/ml/check_drift', 'ml-drift', 'anomaly'],
      ['GET', '/api/v1/ml/health', 'unmatched', null],
      ['GET', '/health', 'unmatched', null],
      ['GET', '/api/v1/anomaly/history', 'anomaly-api', null],
      ['PUT', '/api/v1/anomaly/thresholds/s-1', 'anomaly-api', null],
    ];
    for (const [method, path, id, candidate] of cases) {
      it(`routes ${method} ${path} to ${id} (candidate ${candidate ?? 'none'})`, function () {
        const route = table.match(method, path);
        assert.equal(route.id, id);
        assert.equal(route.candidate?.name ?? null, candidate);
      });
    }

    it('sends /api/v1/anomaly/* to the anomaly service as its only upstream', function () {
      assert.equal(table.match('GET', '/api/v1/anomaly/history').legacy.url, UPSTREAMS.anomaly);
    });

    it('is deeply frozen', function () {
      const route = table.match('POST', '/api/v1/ml/predict');
      assert.ok(Object.isFrozen(table) && Object.isFrozen(route) && Object.isFrozen(route.timeouts));
    });
  });

  describe('precedence: exact, then templates by literal segments, then longest prefix', function () {
    const table = compileRouteTable(
      {
        routes: [
          { id: 'prefix-short', match: { prefix: '/a' }, legacy: 'legacy' },
          { id: 'prefix-long', match: { prefix: '/a/b' }, legacy: 'legacy' },
          { id: 'template-1', match: { path: '/a/:x/:y' }, legacy: 'legacy' },
          { id: 'template-2', match: { path: '/a/b/:y' }, legacy: 'legacy' },
          { id: 'exact', match: { path: '/a/b/c' }, legacy: 'legacy' },
          { id: 'post-only', match: { method: ['POST', 'put'], path: '/p' }, legacy: 'legacy' },
          { id: 'get-only', match: { method: 'GET', path: '/p' }, legacy: 'legacy' },
        ],
      },
      UPSTREAMS,
    );
    const cases: Array<[string, string, string]> = [
      ['GET', '/a/b/c', 'exact'],
      ['GET', '/a/b/d', 'template-2'],
      ['GET', '/a/x/d', 'template-1'],
      ['GET', '/a/b/c/d', 'prefix-long'],
      ['GET', '/a/b', 'prefix-long'],
      ['GET', '/a/x', 'prefix-short'],
      ['GET', '/ab', 'unmatched'],
      ['POST', '/p', 'post-only'],
      ['PUT', '/p', 'post-only'],
      ['GET', '/p', 'get-only'],
      ['DELETE', '/p', 'unmatched'],
    ];
    for (const [method, path, id] of cases) {
      it(`${method} ${path} -> ${id}`, function () {
        assert.equal(table.match(method, path).id, id);
      });
    }
  });

  describe('refuses a bad file with every problem named', function () {
    const route = { id: 'r', match: { method: 'POST', path: '/r' }, legacy: 'legacy' };
    const cases: Array<[string, unknown, RegExp]> = [
      ['no routes array', {}, /routes: Required/],
      ['an unknown key', { routes: [{ ...route, idempotnet: true }] }, /routes\[0\]: unknown key\(s\) "idempotnet"/],
      ['both path and prefix', { routes: [{ ...route, match: { path: '/a', prefix: '/b' } }] }, /routes\[0\]\.match: give exactly one of "path" or "prefix"/],
      ['an unknown upstream', { routes: [{ ...route, candidate: 'nowhere' }] }, /routes\[0\]\.candidate: unknown upstream "nowhere"/],
      ['a duplicate id', { routes: [route, { ...route, match: { path: '/s' } }] }, /routes\[1\]\.id: duplicate id "r"/],
      ['the same match twice', { routes: [route, { ...route, id: 's' }] }, /routes\[1\]\.match: POST \/r is already matched by route "r"/],
      ['the reserved id "unmatched"', { routes: [{ ...route, id: 'unmatched' }] }, /reserved/],
      ['candidate equal to legacy', { routes: [{ ...route, candidate: 'legacy' }] }, /same upstream as legacy/],
      ['a candidate rewrite without candidate', { routes: [{ ...route, rewrite: { prefix: '/r', to: '/v2' } }] }, /rewrite: applies to the candidate/],
      ['a timeout of 0 ms', { routes: [{ ...route, timeouts: { headersMs: 0 } }] }, /routes\[0\]\.timeouts\.headersMs/],
      ['a path without a leading slash', { routes: [{ ...route, match: { path: 'r' } }] }, /must start with "\/"/],
    ];
    for (const [what, file, pattern] of cases) {
      it(`refuses ${what}`, function () {
        assert.throws(() => compileRouteTable(file, UPSTREAMS), (err: unknown) => err instanceof RouteTableError && pattern.test(err.message));
      });
    }
  });

  it('compiles shadow / compare / judge with the route: defaults filled, rules compiled, frozen', function () {
    const table = compileRouteTable(
      {
        routes: [
          { id: 'r', match: { path: '/r' }, legacy: 'legacy', candidate: 'prediction', shadow: { calibrationRate: 0.5 }, compare: { ignore: ['request_id'] }, judge: { maxMismatchRate: 0.02 } },
          { id: 'plain', match: { path: '/p' }, legacy: 'legacy' },
        ],
      },
      UPSTREAMS,
    );
    const r = table.byId('r')!;
    assert.deepEqual(r.shadow, { enabled: true, allowWithIdempotencyKey: false, calibrationRate: 0.5 });
    assert.deepEqual(r.compare.config, { ignore: ['request_id'] });
    assert.deepEqual(r.compare.rules.headers, ['content-type']);
    assert.deepEqual(r.judge, { maxMismatchRate: 0.02 });
    assert.ok(Object.isFrozen(r.shadow) && Object.isFrozen(r.compare) && Object.isFrozen(r.judge));
    const plain = table.byId('plain')!;
    assert.deepEqual([plain.shadow, plain.judge], [{ enabled: true, allowWithIdempotencyKey: false, calibrationRate: 0 }, {}]);
    assert.deepEqual(r.flags, { live: 'migrate.r.live', shadow: 'migrate.r.shadow' });
  });

  describe('refuses a bad shadow / compare / judge setting, naming the field', function () {
    const route = { id: 'r', match: { path: '/r' }, legacy: 'legacy', candidate: 'prediction' };
    const cases: Array<[string, object, RegExp]> = [
      ['an unknown shadow key', { shadow: { allowNonIdempotent: true } }, /routes\[0\]\.shadow: unknown key\(s\) "allowNonIdempotent"/],
      ['a calibration rate over 1', { shadow: { calibrationRate: 2 } }, /routes\[0\]\.shadow\.calibrationRate:/],
      ['a tolerance without a path', { compare: { tolerance: [{ absolute: 1 }] } }, /routes\[0\]\.compare\.tolerance\[0\]\.path:/],
      ['a bad path pattern', { compare: { ignore: ['a..b'] } }, /routes\[0\]\.compare: /],
      ['an unknown ML reading', { compare: { ml: 'vision' } }, /routes\[0\]\.compare\.ml:/],
      ['a false-alarm level of 0.5', { judge: { falseAlarmLevel: 0.5 } }, /routes\[0\]\.judge\.falseAlarmLevel:/],
      ['the windowed judge’s failuresToRollback (gone)', { judge: { failuresToRollback: 3 } }, /routes\[0\]\.judge: unknown key\(s\) "failuresToRollback"/],
      ['an unknown judge key', { judge: { maxMismatch: 0.1 } }, /routes\[0\]\.judge: unknown key\(s\) "maxMismatch"/],
    ];
    for (const [what, extra, pattern] of cases) {
      it(`refuses ${what}`, function () {
        assert.throws(
          () => compileRouteTable({ routes: [{ ...route, ...extra }] }, UPSTREAMS),
          (err: unknown) => err instanceof RouteTableError && pattern.test(err.message),
        );
      });
    }
  });

  describe('path rewrite', function () {
    const table = compileRouteTable(
      { routes: [{ id: 'r', match: { prefix: '/api/v1/ml' }, legacy: 'legacy', candidate: 'prediction', rewrite: { prefix: '/api/v1/ml', to: '/v2' } }] },
      UPSTREAMS,
    );
    const r = table.byId('r')!;
    const cases: Array<['legacy' | 'candidate', string, string]> = [
      ['candidate', '/api/v1/ml/predict?x=1', '/v2/predict?x=1'],
      ['candidate', '/api/v1/ml?x=1', '/v2?x=1'],
      ['candidate', '/api/v1/mlx', '/api/v1/mlx'],
      ['legacy', '/api/v1/ml/predict', '/api/v1/ml/predict'],
    ];
    for (const [side, url, expected] of cases) {
      it(`${side}: ${url} -> ${expected}`, function () {
        assert.equal(rewritePath(r, side, url), expected);
      });
    }
  });

  describe('path templates and prefixes', function () {
    const cases: Array<[string, string, Record<string, string> | null]> = [
      ['/models/:name/latest', '/models/m1/latest', { name: 'm1' }],
      ['/models/:name/latest', '/models//latest', null],
      ['/models/:name/latest', '/models/m1/latest/x', null],
      ['/plain', '/plain', {}],
      ['/plain', '/plain/', null],
    ];
    for (const [template, path, params] of cases) {
      it(`${template} on ${path} -> ${JSON.stringify(params)}`, function () {
        assert.deepEqual(compilePathTemplate(template)(path), params);
      });
    }
    const prefixes: Array<[string, string, boolean]> = [
      ['/a/b', '/a', true],
      ['/a', '/a', true],
      ['/ab', '/a', false],
      ['/a/', '/a/', true],
    ];
    for (const [path, prefix, expected] of prefixes) {
      it(`prefix ${prefix} ${expected ? 'matches' : 'does not match'} ${path}`, function () {
        assert.equal(matchesPrefix(path, prefix), expected);
      });
    }
  });
});
