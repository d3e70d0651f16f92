/**
 * The whole stack in this process, as an operator runs it, on port 0: the monolith and the
 * anomaly service on a throw-away PostgreSQL database, the prediction service on the committed
 * model registry, and the proxy (shadowing on, comparisons recorded) in front of the three, its
 * flags from an in-memory Unleash repository:
 *
 *   const stack = await startStack({ live: 50, shadow: 100 });   // every ML route at these rollouts
 *   await stack.client('POST', '/api/v1/ml/predict', body);
 *   const text = await stack.metrics('proxy');                     // the live /metrics exposition
 *   await stack.close();
 */
import { createTestDatabase, http, type HttpResult, type TestDatabase } from '@smp/platform/testkit';
import type { Env, RunningService } from '@smp/platform';
import * as anomaly from '@smp/anomaly-service';
import * as legacy from '@smp/legacy-monolith';
import * as prediction from '@smp/prediction-service';
import * as proxy from '@smp/proxy';

export const ADMIN_TOKEN = 'ops-admin-token-0123456789';
export const ML_ROUTES = ['ml-predict', 'ml-models', 'ml-anomaly', 'ml-drift'] as const;
export const SERVICES = ['legacy-monolith', 'prediction-service', 'anomaly-service', 'proxy'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface StackOptions {
  /** Rollout % of every ML route's live and shadow flags. */
  live: number;
  shadow: number;
  /** Extra environment for every service (OTEL_EXPORTER_OTLP_ENDPOINT…). */
  env?: Env;
}

export interface Stack {
  readonly urls: Readonly<Record<ServiceName, string>>;
  /** One request to the proxy's public port, as a client sends it. */
  client(method: string, path: string, body?: object, headers?: Record<string, string>): Promise<HttpResult>;
  /** The `/metrics` exposition of one service (the proxy's from its admin port). */
  metrics(service: ServiceName): Promise<string>;
  close(): Promise<void>;
}

type Features = ConstructorParameters<typeof proxy.MemoryRepository>[0];

/** Unleash client features: each route's live and shadow flag, flexibleRollout at the given %. */
export function migrationFlags(live: number, shadow: number): Features {
  const flag = (name: string, rollout: number) => ({
    name,
    enabled: true,
    strategies: [{ name: 'flexibleRollout', parameters: { rollout: String(rollout), stickiness: 'default', groupId: name }, constraints: [] }],
  });
  return {
    version: 2,
    features: ML_ROUTES.flatMap((r) => [flag(`migrate.${r}.live`, live), flag(`migrate.${r}.shadow`, shadow)]),
  } as Features;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const env: Env = { LOG_LEVEL: 'error', ...options.env };
  const started: Array<{ close(): Promise<void> }> = [];
  let db: TestDatabase | null = null;
  const close = async () => {
    for (const s of started.reverse()) await s.close();
    await db?.drop();
  };
  try {
    db = await createTestDatabase('ops');
    const withDb = { ...env, DATABASE_URL: db.url };
    // The monolith first: its migrations create the tables the anomaly service reads.
    const monolith: RunningService = await legacy.start({ config: legacy.parseConfig(withDb), port: 0 });
    started.push(monolith);
    const anomalyService = await anomaly.start({ config: anomaly.parseConfig(withDb), port: 0 });
    started.push(anomalyService);
    const predictionService = await prediction.start({ config: prediction.parseConfig(env), port: 0 });
    started.push(predictionService);
    const edge = await proxy.start({
      config: proxy.parseConfig({
        ...withDb,
        LEGACY_URL: monolith.url,
        PREDICTION_URL: predictionService.url,
        ANOMALY_URL: anomalyService.url,
        ADMIN_TOKEN,
        // Pairs are judged, never acted on by the clock of a short test.
        JUDGE_MIN_PAIRS: '1000000',
      }),
      port: 0,
      adminPort: 0,
      flagRepository: new proxy.MemoryRepository(migrationFlags(options.live, options.shadow)),
    });
    started.push(edge);
    const urls = { 'legacy-monolith': monolith.url, 'prediction-service': predictionService.url, 'anomaly-service': anomalyService.url, proxy: edge.url };
    return {
      urls,
      client: (method, path, body, headers) => http(`${edge.url}${path}`, { method, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) }),
      async metrics(service) {
        const url = service === 'proxy' ? `${edge.adminUrl}/metrics` : `${urls[service]}/metrics`;
        const res = await http(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        if (res.status !== 200) throw new Error(`${service} /metrics answered ${res.status}`);
        return res.text;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export const HEALTHY_FEATURES = { Air_temperature_K: 300, Process_temperature_K: 310, Rotational_speed_rpm: 1500, Torque_Nm: 40, Tool_wear_min: 10, Type: 'M' };

/** Client traffic on every ML route, so that every per-route series the dashboard reads exists. */
export async function exerciseEveryRoute(stack: Stack, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const ip = { 'x-session-id': `ops-client-${i}` };
    await stack.client('POST', '/api/v1/ml/predict', { model_name: 'ai4i_classifier', features: HEALTHY_FEATURES }, ip);
    await stack.client('GET', '/api/v1/ml/models', undefined, ip);
    await stack.client('POST', '/api/v1/ml/detect_anomaly', { sensor_readings: [{ sensor_id: `pump-${i}`, value: 20 + i, sensor_type: 'temperature', unit: 'C' }] }, ip);
    await stack.client('POST', '/api/v1/ml/check_drift', { sensor_id: `pump-${i}` }, ip);
  }
}
