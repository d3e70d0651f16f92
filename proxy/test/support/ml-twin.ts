/**
 * A tiny ML upstream for shadow tests: answers `POST /api/v1/ml/predict` like the monolith does
 * (fresh `request_id` and `timestamp` on every call, a label computed from the features), with
 * knobs to make a candidate misbehave: slower, flipping a share of labels (seeded), answering 500,
 * hanging. Also `POST /write` (for the idempotency rules) and counts what it saw.
 *
 *   const legacy = await startMlTwin('legacy', { delayMs: 3 });
 *   const candidate = await startMlTwin('candidate', { delayMs: 9, flipRate: 0.05 });
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { seededRandom } from '../../src/analysis/seeded-random.js';

export interface TwinOptions {
  /** Delay before answering (ms). */
  delayMs?: number;
  /** Share of labels flipped (seeded, so runs are reproducible). */
  flipRate?: number;
  /** Flip only after this many requests (a candidate that turns bad after a healthy period). */
  flipAfter?: number;
  behaviour?: 'normal' | 'fail-500' | 'hang';
  seed?: number;
  /** Model versions chosen by `X-Migrate-Variant-Payload: {"model_version":"3"}` (default version 2), each with its own flip rate. */
  versions?: Record<string, { flipRate: number }>;
}

export interface MlTwin {
  readonly name: string;
  readonly url: string;
  options: TwinOptions;
  /** Requests seen, and how many carried X-Shadow-Request: 1. */
  seen: number;
  /** Requests per X-Migrate-Variant header value seen. */
  variants: Record<string, number>;
  shadowSeen: number;
  writes: number;
  /** Date.now() of the latest request, and of the first answer with a flipped label (null: none yet). */
  lastSeenAt: number;
  firstFlipAt: number | null;
  close(): Promise<void>;
}

/** The label a deterministic "model" gives these features (same on both sides). */
export function labelFor(features: Record<string, number>): number {
  return (features.Torque_Nm ?? 0) * (features.Tool_wear_min ?? 0) > 6_000 ? 1 : 0;
}

export async function startMlTwin(name: string, options: TwinOptions = {}): Promise<MlTwin> {
  const sockets = new Set<Duplex>();
  const random = seededRandom(options.seed ?? 11);
  const twin: MlTwin = { name, url: '', options, seen: 0, variants: {}, shadowSeen: 0, writes: 0, lastSeenAt: 0, firstFlipAt: null, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      twin.seen++;
      twin.lastSeenAt = Date.now();
      if (req.headers['x-shadow-request'] === '1') twin.shadowSeen++;
      const variant = req.headers['x-migrate-variant'];
      if (typeof variant === 'string') twin.variants[variant] = (twin.variants[variant] ?? 0) + 1;
      const o = twin.options;
      if (o.behaviour === 'hang') return;
      const answer = () => {
        if (o.behaviour === 'fail-500') {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ detail: 'Internal Server Error' }));
          return;
        }
        if (req.url === '/write') {
          twin.writes++;
          res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': name });
          res.end(JSON.stringify({ status: 'written' }));
          return;
        }
        let body: { features?: Record<string, number> } = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
        } catch {
          res.writeHead(422, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ detail: 'Request validation failed: body: JSON decode error' }));
          return;
        }
        const features = body.features ?? {};
        const version = modelVersion(req.headers['x-migrate-variant-payload']);
        const flipRate = o.versions?.[version]?.flipRate ?? o.flipRate;
        let label = labelFor(features);
        if (flipRate && twin.seen > (o.flipAfter ?? 0) && random() < flipRate) {
          label = 1 - label;
          twin.firstFlipAt ??= Date.now();
        }
        const confidence = 0.5 + ((features.Torque_Nm ?? 0) % 50) / 100;
        res.writeHead(200, { 'content-type': 'application/json', 'x-served-by': name });
        res.end(
          JSON.stringify({
            prediction: [label],
            confidence,
            model_info: { model_name: 'ai4i_classifier', model_version: version, loaded_from: 'MLflow Model Registry', feature_adaptation: 'Adapted 5 input features' },
            timestamp: new Date().toISOString().slice(0, 23) + String(Math.floor(Math.random() * 1000)).padStart(3, '0'),
            request_id: randomUUID(),
            shap_values: { Torque_Nm: confidence / 10, Tool_wear_min: confidence / 20 },
            feature_importance: { Torque_Nm: confidence / 10, Tool_wear_min: confidence / 20 },
          }),
        );
      };
      if (o.delayMs) setTimeout(answer, o.delayMs);
      else answer();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(twin, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
  return twin;
}

function modelVersion(payload: string | string[] | undefined): string {
  try {
    const v = typeof payload === 'string' ? (JSON.parse(payload) as { model_version?: unknown }).model_version : undefined;
    return typeof v === 'string' ? v : '2';
  } catch {
    return '2';
  }
}

/** Features for request i: half of them predict failure. */
export function featuresFor(i: number): Record<string, number> {
  return { Air_temperature_K: 300, Process_temperature_K: 310, Rotational_speed_rpm: 1500, Torque_Nm: 20 + (i % 60), Tool_wear_min: 50 + ((i * 7) % 200) };
}
