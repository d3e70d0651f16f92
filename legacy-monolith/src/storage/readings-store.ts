/**
 * Sensor readings in PostgreSQL: written by ingest and the simulators (upsert on the primary key
 * `(timestamp, sensor_id)`: the same sensor at the same instant is one reading, the latest write
 * wins), read by the sensors routes, the reports, and the ML routes through `ReadingsReader`.
 */
import { dbTimestampSql, type PgPool } from '@smp/platform';
import type { ReadingsReader, StoredReading } from '@smp/ml';

/** A reading to store; `timestamp` is any text PostgreSQL reads as timestamptz (µs kept). */
export interface NewReading {
  sensor_id: string;
  sensor_type: string;
  value: number;
  unit: string | null;
  timestamp: string;
  quality: number;
  sensor_metadata: Record<string, unknown>;
}

/** A reading as GET /api/v1/sensors/readings returns it (timestamps in Python isoformat). */
export interface ReadingItem extends NewReading {
  ingestion_timestamp: string;
}

export interface ReadingsFilter {
  limit: number;
  offset: number;
  sensorId: string | null;
  /** Inclusive bounds, as timestamptz text. */
  start: string | null;
  end: string | null;
}

export interface SensorSummary {
  sensor_id: string;
  reading_count: number;
  last_reading: string | null;
  first_reading: string | null;
}

const UPSERT = `
  ON CONFLICT ("timestamp", sensor_id) DO UPDATE SET
    sensor_type = EXCLUDED.sensor_type, value = EXCLUDED.value, unit = EXCLUDED.unit,
    quality = EXCLUDED.quality, sensor_metadata = EXCLUDED.sensor_metadata, created_at = now()`;

export class ReadingsStore implements ReadingsReader {
  constructor(private readonly pool: PgPool) {}

  /** Store one reading and register its sensor, in one statement. */
  async insert(r: NewReading): Promise<void> {
    await this.pool.query({
      name: 'ingest-reading',
      text: `WITH sensor AS (
               INSERT INTO sensors (sensor_id, type) VALUES ($1, $2) ON CONFLICT (sensor_id) DO NOTHING
             )
             INSERT INTO sensor_readings (sensor_id, sensor_type, value, unit, "timestamp", quality, sensor_metadata)
             VALUES ($1, $2, $3, $4, $5::timestamptz, $6, $7::jsonb) ${UPSERT}`,
      values: [r.sensor_id, r.sensor_type, r.value, r.unit, r.timestamp, r.quality, JSON.stringify(r.sensor_metadata)],
    });
  }

  /** Store many readings in one statement (duplicates of a key inside the batch: the last wins). */
  async insertMany(readings: readonly NewReading[]): Promise<number> {
    const byKey = new Map<string, NewReading>();
    for (const r of readings) byKey.set(`${r.sensor_id}\u0000${r.timestamp}`, r);
    const rows = [...byKey.values()];
    if (rows.length === 0) return 0;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO sensors (sensor_id, type) SELECT DISTINCT ON (s) s, t FROM unnest($1::text[], $2::text[]) AS u(s, t)
         ON CONFLICT (sensor_id) DO NOTHING`,
        [rows.map((r) => r.sensor_id), rows.map((r) => r.sensor_type)],
      );
      await client.query(
        `INSERT INTO sensor_readings (sensor_id, sensor_type, value, unit, "timestamp", quality, sensor_metadata)
         SELECT * FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[], $5::timestamptz[], $6::float8[], $7::jsonb[]) ${UPSERT}`,
        [
          rows.map((r) => r.sensor_id),
          rows.map((r) => r.sensor_type),
          rows.map((r) => r.value),
          rows.map((r) => r.unit),
          rows.map((r) => r.timestamp),
          rows.map((r) => r.quality),
          rows.map((r) => JSON.stringify(r.sensor_metadata)),
        ],
      );
      await client.query('COMMIT');
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Newest first, filtered and paged. */
  async list(filter: ReadingsFilter): Promise<ReadingItem[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (filter.sensorId !== null) {
      values.push(filter.sensorId);
      where.push(`sensor_id = $${values.length}`);
    }
    if (filter.start !== null) {
      values.push(filter.start);
      where.push(`"timestamp" >= $${values.length}::timestamptz`);
    }
    if (filter.end !== null) {
      values.push(filter.end);
      where.push(`"timestamp" <= $${values.length}::timestamptz`);
    }
    values.push(filter.limit, filter.offset);
    const { rows } = await this.pool.query<{
      sensor_id: string;
      sensor_type: string;
      value: number;
      unit: string | null;
      ts: string;
      quality: number;
      sensor_metadata: Record<string, unknown>;
      created: string;
    }>(
      `SELECT sensor_id, sensor_type, value, unit, ${dbTimestampSql('"timestamp"')} AS ts, quality, sensor_metadata, ${dbTimestampSql('created_at')} AS created
       FROM sensor_readings ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY "timestamp" DESC, sensor_id LIMIT $${values.length - 1} OFFSET $${values.length}`,
      values,
    );
    return rows.map((r) => ({
      sensor_id: r.sensor_id,
      sensor_type: r.sensor_type,
      value: r.value,
      unit: r.unit,
      timestamp: r.ts,
      quality: r.quality,
      sensor_metadata: r.sensor_metadata,
      ingestion_timestamp: r.created,
    }));
  }

  /** One row per sensor that has readings, by sensor id. */
  async sensors(): Promise<SensorSummary[]> {
    const { rows } = await this.pool.query<{ sensor_id: string; reading_count: string; last: string | null; first: string | null }>(
      `SELECT sensor_id, count(*) AS reading_count, ${dbTimestampSql('max("timestamp")')} AS last, ${dbTimestampSql('min("timestamp")')} AS first
       FROM sensor_readings GROUP BY sensor_id ORDER BY sensor_id`,
    );
    return rows.map((r) => ({
      sensor_id: r.sensor_id,
      reading_count: Number(r.reading_count),
      last_reading: r.last,
      first_reading: r.first,
    }));
  }

  async newestReadings(sensorId: string, limit: number): Promise<StoredReading[]> {
    const { rows } = await this.pool.query<{ value: number; timestamp: Date }>({
      name: 'newest-readings',
      text: `SELECT value, "timestamp" FROM sensor_readings WHERE sensor_id = $1 ORDER BY "timestamp" DESC LIMIT $2`,
      values: [sensorId, limit],
    });
    return rows;
  }

  async newestReadingsMany(sensorIds: readonly string[], limit: number): Promise<Map<string, StoredReading[]>> {
    const { rows } = await this.pool.query<{ sensor_id: string; value: number; timestamp: Date }>({
      name: 'newest-readings-many',
      text: `SELECT s.sensor_id, r.value, r."timestamp"
             FROM unnest($1::text[]) AS s(sensor_id)
             CROSS JOIN LATERAL (
               SELECT value, "timestamp" FROM sensor_readings
               WHERE sensor_id = s.sensor_id ORDER BY "timestamp" DESC LIMIT $2
             ) r
             ORDER BY s.sensor_id, r."timestamp" DESC`,
      values: [sensorIds, limit],
    });
    const out = new Map<string, StoredReading[]>(sensorIds.map((id) => [id, []]));
    for (const row of rows) out.get(row.sensor_id)!.push({ value: row.value, timestamp: row.timestamp });
    return out;
  }

  async windowReadings(sensorId: string, from: Date, to: Date, limit: number): Promise<StoredReading[]> {
    const { rows } = await this.pool.query<{ value: number; timestamp: Date }>({
      name: 'window-readings',
      text: `SELECT value, "timestamp" FROM sensor_readings
             WHERE sensor_id = $1 AND "timestamp" >= $2 AND "timestamp" <= $3
             ORDER BY "timestamp" DESC LIMIT $4`,
      values: [sensorId, from, to, limit],
    });
    return rows;
  }
}
