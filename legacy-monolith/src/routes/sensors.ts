/**
 * GET /api/v1/sensors/readings (newest first, filtered, paged) and GET /api/v1/sensors/sensors
 * (one summary per sensor with readings):
 *
 *   /api/v1/sensors/readings?sensor_id=pump-7&limit=2
 *   -> [{"sensor_id":"pump-7","sensor_type":"temperature","value":41.2,"unit":"C",
 *        "timestamp":"2025-08-21T10:00:00+00:00","quality":1.0,"sensor_metadata":{},"ingestion_timestamp":"…+00:00"}, …]
 */
import { fields, parseQuery } from '@smp/platform';
import type { Express, RequestHandler } from 'express';
import type { RouteContext } from '../app.js';

export const readingsQuerySchema = fields.model({
  limit: fields.int({ ge: 1, le: 1000 }).default(100),
  offset: fields.int({ ge: 0 }).default(0),
  sensor_id: fields.str().nullable().default(null),
  start_ts: fields.datetime().nullable().default(null),
  end_ts: fields.datetime().nullable().default(null),
});

export function sensorRoutes(app: Express, ctx: RouteContext, options: { auth: RequestHandler }): void {
  app.get('/api/v1/sensors/readings', options.auth, async (req, res) => {
    const q = parseQuery(readingsQuerySchema, req.query);
    res.json(
      await ctx.readings.list({
        limit: q.limit,
        offset: q.offset,
        // The original filtered with `if sensor_id:`, so an empty value means no filter.
        sensorId: q.sensor_id || null,
        start: q.start_ts?.iso ?? null,
        end: q.end_ts?.iso ?? null,
      }),
    );
  });

  app.get('/api/v1/sensors/sensors', options.auth, async (_req, res) => {
    res.json(await ctx.readings.sensors());
  });
}
