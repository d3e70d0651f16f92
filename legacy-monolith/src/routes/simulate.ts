/**
 * The live-demo simulators: POST /api/v1/simulate/{drift-event,anomaly-event,normal-data} write
 * seeded synthetic readings to `sensor_readings` (the ml library's simulators) and say so:
 *
 *   POST /api/v1/simulate/drift-event {"num_samples":50}
 *   -> {"status":"success","message":"Drift simulation started for sensor demo-sensor-001. Generated 50 samples with 2.0σ drift.",
 *       "simulation_id":"<uuid4>","events_generated":50,"correlation_id":"<uuid4>"}
 *
 * The original answered first and ingested in a background task; here the readings are stored
 * before the answer, so a client that then checks drift sees them. Sizes are bounded (the
 * original accepted any count and could exhaust memory) and a null body field means its default.
 */
import { AppError, fields, parseBody, parseQuery } from '@smp/platform';
import {
  ANOMALY_EVENT_DEFAULTS,
  DRIFT_EVENT_DEFAULTS,
  NORMAL_DATA_DEFAULTS,
  pyFloatRepr,
  simulateAnomalyEvent,
  simulateDriftEvent,
  simulateNormalData,
  type SimulatedReading,
} from '@smp/ml';
import type { Express } from 'express';
import type { RouteContext } from '../app.js';

export const MAX_SIMULATED_READINGS = 10_000;

export const driftEventSchema = fields.model({
  sensor_id: fields.str().nullable().default(null),
  drift_magnitude: fields.number().nullable().default(null),
  num_samples: fields.int({ ge: 0, le: MAX_SIMULATED_READINGS }).nullable().default(null),
  base_value: fields.number().nullable().default(null),
  noise_level: fields.number({ ge: 0 }).nullable().default(null),
});

export const anomalyEventSchema = fields.model({
  sensor_id: fields.str().default(ANOMALY_EVENT_DEFAULTS.sensor_id),
  anomaly_magnitude: fields.number().default(ANOMALY_EVENT_DEFAULTS.anomaly_magnitude),
  num_anomalies: fields.int({ ge: 0, le: MAX_SIMULATED_READINGS / 5 }).default(ANOMALY_EVENT_DEFAULTS.num_anomalies),
});

export const normalDataSchema = fields.model({
  sensor_id: fields.str().default(NORMAL_DATA_DEFAULTS.sensor_id),
  num_samples: fields.int({ ge: 0, le: MAX_SIMULATED_READINGS }).default(NORMAL_DATA_DEFAULTS.num_samples),
  duration_minutes: fields.int({ ge: 0, le: 525_600 }).default(NORMAL_DATA_DEFAULTS.duration_minutes),
});

export function simulationRoutes(app: Express, ctx: RouteContext): void {
  const store = async (readings: SimulatedReading[]): Promise<number> => {
    if (readings.some((r) => !Number.isFinite(r.value))) throw new AppError('BAD_REQUEST', 'Simulation failed: parameters produce non-finite values');
    try {
      return await ctx.readings.insertMany(
        readings.map((r) => ({
          sensor_id: r.sensor_id,
          sensor_type: r.sensor_type,
          value: r.value,
          unit: r.unit,
          timestamp: r.timestamp.toISOString(),
          quality: r.quality,
          sensor_metadata: r.sensor_metadata,
        })),
      );
    } catch (err) {
      ctx.deps.logger.error('storing simulated readings failed', { error: (err as Error).message });
      throw new AppError('SERVICE_UNAVAILABLE', 'Simulation failed: the readings could not be stored', { cause: err });
    }
  };
  const answer = (message: string, generated: number) => ({
    status: 'success',
    message,
    simulation_id: ctx.newId(),
    events_generated: generated,
    correlation_id: ctx.newId(),
  });

  app.post('/api/v1/simulate/drift-event', async (req, res) => {
    const raw = parseBody(driftEventSchema, req.body ?? {});
    const p = {
      sensor_id: raw.sensor_id ?? DRIFT_EVENT_DEFAULTS.sensor_id,
      drift_magnitude: raw.drift_magnitude ?? DRIFT_EVENT_DEFAULTS.drift_magnitude,
      num_samples: raw.num_samples ?? DRIFT_EVENT_DEFAULTS.num_samples,
      base_value: raw.base_value ?? DRIFT_EVENT_DEFAULTS.base_value,
      noise_level: raw.noise_level ?? DRIFT_EVENT_DEFAULTS.noise_level,
    };
    const readings = simulateDriftEvent(p, ctx.now());
    await store(readings);
    res.json(
      answer(
        `Drift simulation started for sensor ${p.sensor_id}. Generated ${readings.length} samples with ${pyFloatRepr(p.drift_magnitude)}σ drift.`,
        readings.length,
      ),
    );
  });

  app.post('/api/v1/simulate/anomaly-event', async (req, res) => {
    const p = parseQuery(anomalyEventSchema, req.query);
    const readings = simulateAnomalyEvent(p, ctx.now());
    await store(readings);
    res.json(answer(`Anomaly simulation started for sensor ${p.sensor_id}. Generated ${p.num_anomalies} anomalies.`, readings.length));
  });

  app.post('/api/v1/simulate/normal-data', async (req, res) => {
    const p = parseQuery(normalDataSchema, req.query);
    const readings = simulateNormalData(p, ctx.now());
    await store(readings);
    res.json(
      answer(`Normal data simulation started for sensor ${p.sensor_id}. Generated ${readings.length} samples over ${p.duration_minutes} minutes.`, readings.length),
    );
  });
}
