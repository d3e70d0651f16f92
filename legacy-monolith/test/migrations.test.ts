import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from '@smp/platform';
import { createTestDatabase, runProcess, type TestDatabase } from '@smp/platform/testkit';
import { migrations, MIGRATIONS_TABLE } from '../src/storage/migrations.js';

const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/migrate-once.js');

describe('monolith migrations', function () {
  let db: TestDatabase;
  let pool: pg.Pool;
  beforeEach(async function () {
    db = await createTestDatabase('mono_mig');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
  });
  afterEach(async function () {
    await pool?.end();
    await db?.drop();
  });

  it('applies version 1 once; a second run applies nothing and leaves the tables as they were', async function () {
    assert.deepEqual(await migrate(pool, { table: MIGRATIONS_TABLE, migrations }), [1]);
    assert.deepEqual(await migrate(pool, { table: MIGRATIONS_TABLE, migrations }), []);
    const { rows } = await pool.query(`SELECT version, name FROM ${MIGRATIONS_TABLE}`);
    assert.deepEqual(rows, [{ version: 1, name: 'contract tables' }]);
  });

  it('from two processes at once: exactly one applies version 1, the other finds it done', async function () {
    this.timeout(30_000);
    const env = { DATABASE_URL: db.url, PATH: process.env.PATH };
    const [a, b] = await Promise.all([runProcess(fixture, env), runProcess(fixture, env)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual([JSON.parse(a.stdout), JSON.parse(b.stdout)].sort(), [[], [1]]);
  });

  it('creates the contract keys and indexes: sensor_readings PK (timestamp, sensor_id), index (sensor_id, timestamp DESC), sensors.sensor_id unique', async function () {
    await migrate(pool, { table: MIGRATIONS_TABLE, migrations });
    const { rows } = await pool.query(
      `SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename IN ('sensor_readings', 'sensors') ORDER BY indexname`,
    );
    const defs = rows.map((r) => r.indexdef as string);
    assert.ok(defs.some((d) => /UNIQUE INDEX sensor_readings_pkey ON public\.sensor_readings USING btree \("timestamp", sensor_id\)/.test(d)), defs.join('\n'));
    assert.ok(defs.some((d) => /ix_sensor_readings_sensor_id_timestamp ON public\.sensor_readings USING btree \(sensor_id, "timestamp" DESC\)/.test(d)), defs.join('\n'));
    assert.ok(defs.some((d) => /UNIQUE INDEX sensors_sensor_id_key ON public\.sensors USING btree \(sensor_id\)/.test(d)), defs.join('\n'));
    const tables = await pool.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`);
    assert.deepEqual(
      tables.rows.map((r) => r.table_name),
      ['anomaly_alerts', 'human_decisions', MIGRATIONS_TABLE, 'sensor_readings', 'sensors'],
    );
  });
});

describe('monolith configuration', function () {
  it('refuses to start without DATABASE_URL, naming it (exit code 2)', async function () {
    const main = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/main.js');
    const result = await runProcess(main, { PATH: process.env.PATH, LOG_LEVEL: 'error' });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /DATABASE_URL: required but not set/);
  });
});
