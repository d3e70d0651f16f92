/**
 * The KPIs of a report, computed from what is stored (the original returned random numbers):
 * readings and sensors in the window, their quality, anomaly alerts by severity and status, human
 * decisions by outcome. One SQL round trip per table, all bounded by the window.
 *
 *   await computeKpis(pool, { start, end, maxSensors: 20 })
 *   // { totals: { readings: 1200, sensors: 3, … }, sensors: [{ sensor_id: 'pump-7', readings: 400, mean: 24.9, … }], … }
 */
import { dbTimestampSql, type PgPool } from '@smp/platform';

export interface ReportWindow {
  start: Date;
  end: Date;
  /** How many sensors are detailed (the busiest first). */
  maxSensors: number;
}

export interface SensorStats {
  sensor_id: string;
  sensor_type: string;
  readings: number;
  mean: number | null;
  min: number | null;
  max: number | null;
  stddev: number | null;
  average_quality: number | null;
  last_reading: string | null;
  anomalies: number;
}

export interface ReportKpis {
  totals: {
    readings: number;
    sensors: number;
    readings_per_hour: number;
    average_quality: number | null;
    anomalies: number;
    open_anomalies: number;
    high_severity_anomalies: number;
    mean_anomaly_severity: number | null;
    anomalies_per_1000_readings: number | null;
    human_decisions: number;
  };
  anomalies_by_severity: Record<'1' | '2' | '3' | '4' | '5', number>;
  anomalies_by_status: Record<string, number>;
  decisions_by_outcome: Record<string, number>;
  sensors: SensorStats[];
}

const round = (x: number | null, digits = 4): number | null => (x === null ? null : Math.round(x * 10 ** digits) / 10 ** digits);
const num = (x: unknown): number | null => (x === null || x === undefined ? null : Number(x));

export async function computeKpis(pool: PgPool, window: ReportWindow): Promise<ReportKpis> {
  const range = [window.start, window.end];
  const [readingTotals, sensorRows, alertRows, decisionRows] = await Promise.all([
    pool.query<{ readings: string; sensors: string; quality: number | null }>(
      `SELECT count(*) AS readings, count(DISTINCT sensor_id) AS sensors, avg(quality) AS quality
       FROM sensor_readings WHERE "timestamp" BETWEEN $1 AND $2`,
      range,
    ),
    pool.query(
      `SELECT r.sensor_id, mode() WITHIN GROUP (ORDER BY r.sensor_type) AS sensor_type, count(*) AS readings,
              avg(r.value) AS mean, min(r.value) AS min, max(r.value) AS max, stddev_samp(r.value) AS stddev,
              avg(r.quality) AS quality, ${dbTimestampSql('max(r."timestamp")')} AS last,
              (SELECT count(*) FROM anomaly_alerts a WHERE a.sensor_id = r.sensor_id AND a.created_at BETWEEN $1 AND $2) AS anomalies
       FROM sensor_readings r WHERE r."timestamp" BETWEEN $1 AND $2
       GROUP BY r.sensor_id ORDER BY count(*) DESC, r.sensor_id LIMIT $3`,
      [...range, window.maxSensors],
    ),
    pool.query<{ severity: number; status: string; n: string }>(
      `SELECT severity, status, count(*) AS n FROM anomaly_alerts WHERE created_at BETWEEN $1 AND $2 GROUP BY severity, status`,
      range,
    ),
    pool.query<{ decision: string; n: string }>(
      `SELECT decision, count(*) AS n FROM human_decisions WHERE "timestamp" BETWEEN $1 AND $2 GROUP BY decision ORDER BY decision`,
      range,
    ),
  ]);

  const readings = Number(readingTotals.rows[0].readings);
  const hours = Math.max((window.end.getTime() - window.start.getTime()) / 3_600_000, 1 / 60);
  const bySeverity: ReportKpis['anomalies_by_severity'] = { '1': 0, '2': 0, '3': 0, '4': 0, '5': 0 };
  const byStatus: Record<string, number> = {};
  let anomalies = 0;
  let severitySum = 0;
  for (const row of alertRows.rows) {
    const n = Number(row.n);
    anomalies += n;
    severitySum += n * row.severity;
    bySeverity[String(row.severity) as keyof typeof bySeverity] += n;
    byStatus[row.status] = (byStatus[row.status] ?? 0) + n;
  }
  const decisionsByOutcome: Record<string, number> = {};
  let decisions = 0;
  for (const row of decisionRows.rows) {
    decisionsByOutcome[row.decision] = Number(row.n);
    decisions += Number(row.n);
  }
  return {
    totals: {
      readings,
      sensors: Number(readingTotals.rows[0].sensors),
      readings_per_hour: round(readings / hours, 2)!,
      average_quality: round(num(readingTotals.rows[0].quality)),
      anomalies,
      open_anomalies: byStatus.open ?? 0,
      high_severity_anomalies: bySeverity['4'] + bySeverity['5'],
      mean_anomaly_severity: anomalies ? round(severitySum / anomalies, 2) : null,
      anomalies_per_1000_readings: readings ? round((anomalies / readings) * 1000, 2) : null,
      human_decisions: decisions,
    },
    anomalies_by_severity: bySeverity,
    anomalies_by_status: byStatus,
    decisions_by_outcome: decisionsByOutcome,
    sensors: sensorRows.rows.map((r) => ({
      sensor_id: r.sensor_id,
      sensor_type: r.sensor_type,
      readings: Number(r.readings),
      mean: round(num(r.mean)),
      min: num(r.min),
      max: num(r.max),
      stddev: round(num(r.stddev)),
      average_quality: round(num(r.quality)),
      last_reading: r.last,
      anomalies: Number(r.anomalies),
    })),
  };
}
