/**
 * POST /api/v1/reports/generate: a report over a time window (default: the 7 days before
 * `time_range_end`, itself defaulting to now) with KPIs computed from the stored readings, alerts
 * and decisions (the original answered random mock KPIs), as JSON text or plain text, with SVG
 * bar charts when `include_charts`:
 *
 *   {"report_type":"anomaly_summary"}
 *   -> {"report_id":"<uuid4>","report_type":"anomaly_summary","format":"json","content":"{\"report_type\":…}",
 *       "generated_at":"2025-08-21T10:00:00.123456","charts_encoded":{"readings_per_sensor":"PHN2Zy…",…},
 *       "metadata":{…},"error_message":null}
 */
import { AppError, fields, legacyTimestamp, parseBody } from '@smp/platform';
import type { Express, RequestHandler } from 'express';
import type { RouteContext } from '../app.js';
import { barChartSvg, encodeChart } from '../reports/bar-chart.js';
import { computeKpis, type ReportKpis } from '../reports/kpis.js';

/** The legacy `ReportRequest`. */
export const reportRequestSchema = fields.model({
  report_type: fields.str(),
  format: fields.str().default('json'),
  time_range_start: fields.datetime().nullable().default(null),
  time_range_end: fields.datetime().nullable().default(null),
  parameters: fields.dict().default(() => ({})),
  include_charts: fields.bool().default(true),
});

export const DEFAULT_REPORT_DAYS = 7;
const DEFAULT_MAX_SENSORS = 20;

function textReport(type: string, start: string, end: string, k: ReportKpis): string {
  const t = k.totals;
  const lines = [
    `Report: ${type}`,
    `Window: ${start} .. ${end}`,
    `Readings: ${t.readings} from ${t.sensors} sensors (${t.readings_per_hour} per hour), average quality ${t.average_quality ?? 'n/a'}`,
    `Anomalies: ${t.anomalies} (${t.open_anomalies} open, ${t.high_severity_anomalies} of severity 4-5), ${t.anomalies_per_1000_readings ?? 'n/a'} per 1000 readings`,
    `Anomalies by severity: ${Object.entries(k.anomalies_by_severity).map(([s, n]) => `${s}: ${n}`).join(', ')}`,
    `Human decisions: ${t.human_decisions}${Object.keys(k.decisions_by_outcome).length ? ` (${Object.entries(k.decisions_by_outcome).map(([d, n]) => `${d}: ${n}`).join(', ')})` : ''}`,
    'Sensors:',
    ...k.sensors.map((s) => `  ${s.sensor_id} (${s.sensor_type}): ${s.readings} readings, mean ${s.mean}, min ${s.min}, max ${s.max}, ${s.anomalies} anomalies`),
  ];
  return lines.join('\n');
}

export function reportRoutes(app: Express, ctx: RouteContext, options: { auth: RequestHandler }): void {
  app.post('/api/v1/reports/generate', options.auth, async (req, res) => {
    const body = parseBody(reportRequestSchema, req.body);
    const end = body.time_range_end?.date ?? ctx.now();
    const start = body.time_range_start?.date ?? new Date(end.getTime() - DEFAULT_REPORT_DAYS * 86_400_000);
    if (start.getTime() > end.getTime()) throw new AppError('BAD_REQUEST', 'time_range_start must not be after time_range_end');
    const requested = body.parameters.max_sensors;
    const maxSensors = Number.isInteger(requested) && (requested as number) >= 1 && (requested as number) <= 100 ? (requested as number) : DEFAULT_MAX_SENSORS;
    const kpis = await computeKpis(ctx.deps.pool, { start, end, maxSensors });
    const startIso = start.toISOString();
    const endIso = end.toISOString();
    const content =
      body.format === 'text'
        ? textReport(body.report_type, startIso, endIso, kpis)
        : JSON.stringify({ report_type: body.report_type, time_range: { start: startIso, end: endIso }, ...kpis });
    const charts = body.include_charts
      ? {
          readings_per_sensor: encodeChart(barChartSvg('Readings per sensor', kpis.sensors.map((s) => [s.sensor_id, s.readings] as const))),
          anomalies_by_severity: encodeChart(barChartSvg('Anomalies by severity', Object.entries(kpis.anomalies_by_severity))),
        }
      : null;
    res.json({
      report_id: ctx.newId(),
      report_type: body.report_type,
      format: body.format,
      content,
      generated_at: legacyTimestamp(ctx.now()),
      charts_encoded: charts,
      metadata: {
        data_source: 'postgresql',
        time_range_start: startIso,
        time_range_end: endIso,
        parameters: body.parameters,
        sensors_detailed: kpis.sensors.length,
        chart_format: charts ? 'image/svg+xml;base64' : null,
      },
      error_message: null,
    });
  });
}
