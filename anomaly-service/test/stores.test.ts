import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createPgPool, migrate, silentLogger, type PgPool } from '@smp/platform';
import { createTestDatabase, type TestDatabase } from '@smp/platform/testkit';
import type { AnomalyAlert } from '@smp/ml';
import * as monolith from '@smp/legacy-monolith';
import { alertFilter, AlertHistory, orderEvidence, type AlertQuery } from '../src/store/alert-history.js';
import { ALERTS_PER_STATEMENT, AlertWriter } from '../src/store/alert-writer.js';
import { DriftResultStore, type DriftVerdict } from '../src/store/drift-results.js';
import { missingTables, schemaNotReady } from '../src/store/legacy-tables.js';
import { MIGRATIONS_TABLE } from '../src/store/migrations.js';
import { OwnSchema } from '../src/store/own-schema.js';
import { ThresholdStore } from '../src/store/thresholds.js';

function alert(sensor: string, severity: number, createdAt: string): AnomalyAlert {
  return {
    id: randomUUID(),
    sensor_id: sensor,
    anomaly_type: 'isolation_forest_anomaly',
    severity,
    confidence: severity / 5,
    description: `Isolation Forest detected anomaly (score=${(severity / 5).toFixed(3)}, sensitivity=0.50)`,
    evidence: {
      sensor_value: 90 + severity,
      sensor_unit: 'C',
      sensor_type: 'temperature',
      quality_score: 1,
      feature_vector: { value_lag_1: 1, value_lag_2: 2, value_lag_3: 3, value_lag_4: 4, value_lag_5: 5, value_scaled: 0.9, quality_scaled: 1 },
    },
    recommended_actions: ['Investigate sensor reading', 'Check sensor calibration', 'Review historical data for patterns'],
    created_at: createdAt,
    status: 'open',
  };
}

function verdict(sensor: string, evaluatedAt: string, drift: boolean): DriftVerdict {
  return {
    sensor_id: sensor,
    recent_count: 60,
    baseline_count: 58,
    window_minutes: 60,
    ks_statistic: drift ? 0.45 : 0.1,
    p_value: drift ? 0.0000061 : 0.71,
    p_value_threshold: 0.05,
    drift_detected: drift,
    insufficient_data: false,
    request_id: randomUUID(),
    evaluated_at: evaluatedAt,
    notes: null,
  };
}

describe('anomaly-service storage', function () {
  let db: TestDatabase;
  let pool: PgPool;

  before(async function () {
    db = await createTestDatabase('anomaly_store');
    pool = createPgPool(db.url, silentLogger(), { max: 4 });
  });
  after(async function () {
    await pool?.end();
    await db?.drop();
  });

  describe('before the monolith migrated its schema', function () {
    it('reports sensor_readings and anomaly_alerts missing, in that order', async function () {
      assert.deepEqual(await missingTables(pool), ['sensor_readings', 'anomaly_alerts']);
    });

    it('words the 503 for one and for two missing tables', function () {
      const one = schemaNotReady(['sensor_readings']);
      assert.equal(one.status, 503);
      assert.equal(one.detail, "Database schema not ready: table sensor_readings does not exist (created by the legacy monolith's migrations)");
      assert.equal(
        schemaNotReady(['sensor_readings', 'anomaly_alerts']).detail,
        "Database schema not ready: tables sensor_readings, anomaly_alerts do not exist (created by the legacy monolith's migrations)",
      );
    });
  });

  describe('own migrations', function () {
    it('apply version 1 once when two gates race and a third arrives later', async function () {
      const a = new OwnSchema(pool, silentLogger());
      const b = new OwnSchema(pool, silentLogger());
      await Promise.all([a.ready(), b.ready()]);
      await new OwnSchema(pool, silentLogger()).ready();
      const { rows } = await pool.query(`SELECT version FROM ${MIGRATIONS_TABLE}`);
      assert.deepEqual(rows, [{ version: 1 }]);
      assert.equal(a.migrated && b.migrated, true);
    });

    it('never create the monolith tables', async function () {
      assert.deepEqual(await missingTables(pool), ['sensor_readings', 'anomaly_alerts']);
    });

    it('answer 503 "Database unavailable" while the database cannot be reached, and log instead of throwing at start', async function () {
      const dead = createPgPool('postgres://postgres@127.0.0.1:1/none', silentLogger(), { connectionTimeoutMillis: 500 });
      try {
        const gate = new OwnSchema(dead, silentLogger());
        await gate.start();
        assert.equal(gate.migrated, false);
        await assert.rejects(gate.ready(), (err: { status: number; detail: string }) => err.status === 503 && /^Database unavailable: /.test(err.detail));
      } finally {
        await dead.end();
      }
    });
  });

  describe('thresholds', function () {
    let store: ThresholdStore;
    before(function () {
      store = new ThresholdStore(pool);
    });

    it('gives all-null overrides for a sensor never configured', async function () {
      assert.deepEqual(await store.get('never-set'), { sensor_id: 'never-set', sensitivity: null, p_value_threshold: null, updated_at: null });
    });

    it('stores sensitivity 0.8 for pump-7, then a second PUT of p 0.01 alone replaces it whole', async function () {
      const first = await store.put('pump-7', { sensitivity: 0.8, p_value_threshold: null });
      assert.equal(first.sensitivity, 0.8);
      assert.match(first.updated_at!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/);
      await store.put('pump-7', { sensitivity: null, p_value_threshold: 0.01 });
      const now = await store.get('pump-7');
      assert.equal(now.sensitivity, null);
      assert.equal(now.p_value_threshold, 0.01);
    });

    it('reads several sensors at once, leaving out those without a row', async function () {
      await store.put('fan-1', { sensitivity: 0.3, p_value_threshold: null });
      const many = await store.getMany(['fan-1', 'pump-7', 'nobody', 'fan-1']);
      assert.deepEqual([...many.keys()].sort(), ['fan-1', 'pump-7']);
      assert.equal(many.get('fan-1')!.sensitivity, 0.3);
    });

    it('refuses p_value_threshold 1 at the database too (check constraint)', async function () {
      await assert.rejects(store.put('bad', { sensitivity: null, p_value_threshold: 1 }), /check constraint/);
    });
  });

  describe('drift results', function () {
    let store: DriftResultStore;
    before(function () {
      store = new DriftResultStore(pool);
    });

    it('gives the newest of two verdicts with microseconds kept and +00:00 added, and min_samples', async function () {
      await store.record(verdict('pump-7', '2025-08-21T10:00:00.123456', true), 30);
      await store.record(verdict('pump-7', '2025-08-21T10:05:00.654321', false), 40);
      await store.record(verdict('fan-1', '2025-08-21T11:00:00.000001', true), 30);
      const latest = await store.latest('pump-7');
      assert.equal(latest!.evaluated_at, '2025-08-21T10:05:00.654321+00:00');
      assert.equal(latest!.drift_detected, false);
      assert.equal(latest!.min_samples, 40);
      assert.equal(latest!.p_value, 0.71);
      assert.deepEqual(Object.keys(latest!), [
        'sensor_id',
        'recent_count',
        'baseline_count',
        'window_minutes',
        'ks_statistic',
        'p_value',
        'p_value_threshold',
        'drift_detected',
        'insufficient_data',
        'request_id',
        'evaluated_at',
        'notes',
        'min_samples',
      ]);
    });

    it('drops all-zero microseconds as Python isoformat does: 10:10:00.000000 -> 10:10:00+00:00', async function () {
      await store.record({ ...verdict('valve-2', '2025-08-21T10:10:00.000000', false), insufficient_data: true, ks_statistic: null, p_value: null, notes: 'Insufficient samples: baseline=0, recent=0, required=30' }, 30);
      const latest = await store.latest('valve-2');
      assert.equal(latest!.evaluated_at, '2025-08-21T10:10:00+00:00');
      assert.equal(latest!.ks_statistic, null);
      assert.equal(latest!.notes, 'Insufficient samples: baseline=0, recent=0, required=30');
    });

    it('has nothing for a sensor never checked', async function () {
      assert.equal(await store.latest('never-checked'), undefined);
    });
  });

  describe('alerts in the monolith table', function () {
    let writer: AlertWriter;
    let history: AlertHistory;
    const stored: AnomalyAlert[] = [];

    before(async function () {
      await migrate(pool, { table: monolith.MIGRATIONS_TABLE, migrations: monolith.migrations });
      writer = new AlertWriter(pool);
      history = new AlertHistory(pool);
      stored.push(
        alert('pump-7', 2, '2025-08-21T10:00:00.000001'),
        alert('pump-7', 4, '2025-08-21T10:01:00.500000'),
        alert('fan-1', 5, '2025-08-21T10:02:00.000000'),
        alert('pump-7', 3, '2025-08-21T10:03:00.250000'),
        alert('fan-1', 1, '2025-08-21T10:04:00.999999'),
      );
      await writer.append(stored);
    });

    it('stores an alert exactly as detect_anomaly answered it, created_at with +00:00', async function () {
      const page = await history.page({ sensor_id: 'pump-7', limit: 1, offset: 0 });
      const expected = stored[3];
      assert.deepEqual(page.alerts[0], { ...expected, created_at: '2025-08-21T10:03:00.250000+00:00' });
      assert.deepEqual(Object.keys(page.alerts[0].evidence), Object.keys(expected.evidence));
      assert.deepEqual(Object.keys(page.alerts[0].evidence.feature_vector as object), Object.keys(expected.evidence.feature_vector));
    });

    const cases: Array<[string, Omit<AlertQuery, 'limit' | 'offset'> & { limit?: number; offset?: number }, number[], number]> = [
      ['no filter: all 5 newest first', {}, [1, 3, 5, 4, 2], 5],
      ['sensor pump-7', { sensor_id: 'pump-7' }, [3, 4, 2], 3],
      ['min_severity 3', { min_severity: 3 }, [3, 5, 4], 3],
      ['start 10:01:00.5 inclusive', { start_time: '2025-08-21T10:01:00.5Z' }, [1, 3, 5, 4], 4],
      ['end 10:02:00 inclusive', { end_time: '2025-08-21T10:02:00Z' }, [5, 4, 2], 3],
      ['pump-7, severity >= 3, before 10:02', { sensor_id: 'pump-7', min_severity: 3, end_time: '2025-08-21T10:02:00Z' }, [4], 1],
      ['limit 2 offset 1', { limit: 2, offset: 1 }, [3, 5], 5],
      ['offset 10 past the end: empty page, total still 5', { offset: 10 }, [], 5],
      ['an unknown sensor', { sensor_id: 'nobody' }, [], 0],
    ];
    for (const [name, query, severities, total] of cases) {
      it(`pages history for ${name}`, async function () {
        const page = await history.page({ limit: 100, offset: 0, ...query });
        assert.deepEqual(
          page.alerts.map((a) => a.severity),
          severities,
        );
        assert.equal(page.total, total);
      });
    }

    it(`stores ${ALERTS_PER_STATEMENT + 1} alerts of one answer across two statements, all of them`, async function () {
      const many = Array.from({ length: ALERTS_PER_STATEMENT + 1 }, (_, i) => alert('bulk-1', 1 + (i % 5), `2025-08-22T00:00:${String(i % 60).padStart(2, '0')}.000000`));
      await writer.append(many);
      const page = await history.page({ sensor_id: 'bulk-1', limit: 1, offset: 0 });
      assert.equal(page.total, ALERTS_PER_STATEMENT + 1);
    });
  });

  describe('pure helpers', function () {
    const filters: Array<[string, AlertQuery, string, unknown[]]> = [
      ['nothing', { limit: 10, offset: 0 }, '', []],
      ['a sensor', { sensor_id: 's', limit: 10, offset: 0 }, 'WHERE sensor_id = $1', ['s']],
      [
        'every filter',
        { sensor_id: 's', start_time: 'a', end_time: 'b', min_severity: 2, limit: 10, offset: 0 },
        'WHERE sensor_id = $1 AND created_at >= $2::timestamptz AND created_at <= $3::timestamptz AND severity >= $4',
        ['s', 'a', 'b', 2],
      ],
      ['severity only', { min_severity: 5, limit: 1, offset: 0 }, 'WHERE severity >= $1', [5]],
    ];
    for (const [name, query, where, params] of filters) {
      it(`alertFilter builds the clause for ${name}`, function () {
        assert.deepEqual(alertFilter(query), { where, params });
      });
    }

    const evidence: Array<[string, unknown, string[]]> = [
      ['jsonb order', { sensor_type: 't', sensor_unit: 'u', sensor_value: 1, quality_score: 1, feature_vector: {} }, ['sensor_value', 'sensor_unit', 'sensor_type', 'quality_score', 'feature_vector']],
      ['an extra key last', { extra: 1, sensor_value: 1 }, ['sensor_value', 'extra']],
      ['null', null, []],
    ];
    for (const [name, input, keys] of evidence) {
      it(`orderEvidence restores detect_anomaly's key order for ${name}`, function () {
        assert.deepEqual(Object.keys(orderEvidence(input)), keys);
      });
    }
  });
});
