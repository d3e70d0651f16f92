/**
 * The ML operations' view of `sensor_readings` (the monolith's table, read-only here): the same
 * two queries the monolith answers them with, so both hosts feed the shared operations the same
 * rows for the same database state.
 *
 *   await reader.newestReadings('pump-7', 12)                 // lag history, newest first
 *   await reader.windowReadings('pump-7', from, to, 150)       // a drift window, newest first
 * A missing table becomes the 503 of legacy-tables.ts instead of a 500.
 */
import type { PgPool } from '@smp/platform';
import type { ReadingsReader, StoredReading } from '@smp/ml';
import { needingTables } from './legacy-tables.js';

const TABLES = ['sensor_readings'];

export class PgReadingsReader implements ReadingsReader {
  constructor(private readonly pool: PgPool) {}

  newestReadings(sensorId: string, limit: number): Promise<StoredReading[]> {
    return needingTables(this.pool, TABLES, async () => {
      const { rows } = await this.pool.query<StoredReading>({
        name: 'anomaly-newest-readings',
        text: 'SELECT value, "timestamp" FROM sensor_readings WHERE sensor_id = $1 ORDER BY "timestamp" DESC LIMIT $2',
        values: [sensorId, limit],
      });
      return rows;
    });
  }

  windowReadings(sensorId: string, from: Date, to: Date, limit: number): Promise<StoredReading[]> {
    return needingTables(this.pool, TABLES, async () => {
      const { rows } = await this.pool.query<StoredReading>({
        name: 'anomaly-window-readings',
        text: `SELECT value, "timestamp" FROM sensor_readings
                WHERE sensor_id = $1 AND "timestamp" BETWEEN $2 AND $3
                ORDER BY "timestamp" DESC LIMIT $4`,
        values: [sensorId, from, to, limit],
      });
      return rows;
    });
  }
}
