import assert from 'node:assert/strict';
import pg from 'pg';
import { dbTimestampSql } from '../src/index.js';
import { testConfig } from '../src/testkit/index.js';

describe('dbTimestampSql (times read back from PostgreSQL, as Python isoformat() gave them)', function () {
  let client: pg.Client;
  before(async function () {
    client = new pg.Client({ connectionString: testConfig.DATABASE_URL });
    await client.connect();
    // Far from UTC, to show the session's TimeZone does not leak into the text.
    await client.query(`SET TIME ZONE 'Asia/Kolkata'`);
  });
  after(async function () {
    await client?.end();
  });

  // [timestamptz literal (null: SQL NULL), rendered text]
  const cases: Array<[string | null, string | null]> = [
    ['2025-08-21 10:00:00.123456+00', '2025-08-21T10:00:00.123456+00:00'],
    ['2025-08-21 10:00:00.000001+00', '2025-08-21T10:00:00.000001+00:00'],
    ['2025-08-21 10:00:00.5+00', '2025-08-21T10:00:00.500000+00:00'],
    ['2025-08-21 10:00:00+00', '2025-08-21T10:00:00+00:00'],
    ['2025-08-21 12:30:00.25+02:30', '2025-08-21T10:00:00.250000+00:00'],
    ['2025-12-31 23:59:59.999999-01', '2026-01-01T00:59:59.999999+00:00'],
    [null, null],
  ];
  for (const [literal, expected] of cases) {
    it(`renders ${literal ?? 'NULL'} as ${expected ?? 'NULL'} in a session on Asia/Kolkata`, async function () {
      const { rows } = await client.query<{ text: string | null }>(`SELECT ${dbTimestampSql('$1::timestamptz')} AS text`, [literal]);
      assert.equal(rows[0].text, expected);
    });
  }

  it('renders an aggregate expression: max() of 10:00:00.1 and 10:00:00.000002 is 2025-08-21T10:00:00.100000+00:00', async function () {
    const { rows } = await client.query<{ text: string }>(
      `SELECT ${dbTimestampSql('max(t)')} AS text FROM unnest(ARRAY['2025-08-21 10:00:00.1+00', '2025-08-21 10:00:00.000002+00']::timestamptz[]) AS u(t)`,
    );
    assert.equal(rows[0].text, '2025-08-21T10:00:00.100000+00:00');
  });
});
