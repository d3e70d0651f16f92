/**
 * POST /api/v1/data/ingest: validate one reading, honour `Idempotency-Key`, store it.
 *
 *   {"sensor_id":"pump-7","value":41.2,"sensor_type":"temperature","unit":"C"}
 *   -> 200 {"status":"event_published","event_id":"<uuid4>","correlation_id":"<uuid4>","sensor_id":"pump-7"}
 *   same Idempotency-Key again within 600 s
 *   -> 200 {"status":"duplicate_ignored","event_id":"<the first event_id>",…} and nothing stored
 *
 * The original only published an event; here the reading is written to `sensor_readings` (upsert
 * on `(timestamp, sensor_id)`), unknown sensors are registered in `sensors`. With Redis down the
 * reading is still stored, without dedupe, and a warning is logged.
 */
import { AppError, fields, legacyTimestamp, parseBody, type z } from '@smp/platform';
import { SENSOR_TYPES } from '@smp/ml';
import type { Express, RequestHandler } from 'express';
import type { RouteContext } from '../app.js';
import type { IdempotencyStore } from '../idempotency.js';

/** The legacy `SensorReadingCreate`. */
export const ingestRequestSchema = fields.model({
  sensor_id: fields.str(),
  value: fields.number(),
  timestamp: fields.datetime().nullable().default(null),
  sensor_type: fields.enumOf(SENSOR_TYPES).nullable().default(null),
  unit: fields.str().nullable().default(null),
  quality: fields.number({ ge: 0, le: 1 }).default(1),
  correlation_id: fields.uuid().nullable().default(null),
  metadata: fields.dict().default(() => ({})),
});
export type IngestRequest = z.output<typeof ingestRequestSchema>;

/** The type stored when a reading names none (sensor_readings.sensor_type is NOT NULL). */
export const DEFAULT_SENSOR_TYPE = 'general';

export function ingestRoutes(app: Express, ctx: RouteContext, options: { auth: RequestHandler; idempotency: IdempotencyStore }): void {
  const { deps } = ctx;
  app.post('/api/v1/data/ingest', options.auth, async (req, res) => {
    const body = parseBody(ingestRequestSchema, req.body);
    const eventId = ctx.newId();
    const correlationId = body.correlation_id ?? ctx.newId();
    const key = req.get('idempotency-key')?.trim() || undefined;
    let claimed = false;
    if (key) {
      const claim = await options.idempotency.claim(key, eventId);
      if ('unavailable' in claim) {
        deps.logger.warn('idempotency store unavailable, ingesting without dedupe', { error: claim.error });
      } else if (claim.duplicate) {
        res.json({ status: 'duplicate_ignored', event_id: claim.eventId, correlation_id: correlationId, sensor_id: body.sensor_id });
        return;
      } else claimed = true;
    }
    try {
      await ctx.readings.insert({
        sensor_id: body.sensor_id,
        sensor_type: body.sensor_type ?? DEFAULT_SENSOR_TYPE,
        value: body.value,
        unit: body.unit,
        timestamp: body.timestamp?.iso ?? `${legacyTimestamp(ctx.now())}Z`,
        quality: body.quality,
        sensor_metadata: body.metadata,
      });
    } catch (err) {
      if (claimed) await options.idempotency.release(key!, eventId);
      deps.logger.error('storing a sensor reading failed', { error: (err as Error).message, sensor_id: body.sensor_id });
      throw new AppError('SERVICE_UNAVAILABLE', 'Failed to publish event: the reading could not be stored', { cause: err });
    }
    res.json({ status: 'event_published', event_id: eventId, correlation_id: correlationId, sensor_id: body.sensor_id });
  });
}
