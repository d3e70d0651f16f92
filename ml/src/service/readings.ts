/**
 * What the ML routes need from stored sensor readings, as an interface each host implements over
 * its own storage (the monolith and the anomaly service over `sensor_readings` in PostgreSQL):
 *
 *   await reader.newestReadings('pump-7', 12);                        // history for lag features
 *   await reader.windowReadings('pump-7', from, to, 150);             // a drift window
 */

/** One stored reading: enough for lag features and drift tests. */
export interface StoredReading {
  value: number;
  timestamp: Date;
}

export interface ReadingsReader {
  /** The sensor's `limit` newest readings, newest first (empty for an unknown sensor). */
  newestReadings(sensorId: string, limit: number): Promise<StoredReading[]>;
  /** Optional: `newestReadings` of several sensors in one round trip (every id present in the map). */
  newestReadingsMany?(sensorIds: readonly string[], limit: number): Promise<Map<string, StoredReading[]>>;
  /** Readings with `from <= timestamp <= to`, at most the `limit` newest, newest first. */
  windowReadings(sensorId: string, from: Date, to: Date, limit: number): Promise<StoredReading[]>;
}
