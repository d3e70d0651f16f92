/**
 * The migration flags: two per extracted route, derived from the route id.
 *
 *   migrate.ml-predict.live    rollout % = the share of clients the prediction-service serves
 *   migrate.ml-predict.shadow  rollout % = the share of requests also mirrored to it and compared
 *
 * Each is a `release` flag with one `flexibleRollout` strategy (stickiness `default`, groupId = the
 * flag name, so live and shadow buckets are independent), created disabled at rollout 0: nothing
 * changes for clients until a release manager ramps it. The same definitions give the Unleash
 * client-features document the proxy bootstraps from when no Unleash server runs.
 */
import { toVariantDefinitions, type VariantDefinition, type VariantSpec } from './variants.js';

/** The routes the proxy can migrate; ids match the proxy's route table (`proxy/routes.default.json`). */
export const MIGRATION_ROUTES = [
  { id: 'ml-predict', what: 'POST /api/v1/ml/predict', candidate: 'prediction-service' },
  { id: 'ml-models', what: 'GET /api/v1/ml/models*', candidate: 'prediction-service' },
  { id: 'ml-anomaly', what: 'POST /api/v1/ml/detect_anomaly', candidate: 'anomaly-service' },
  { id: 'ml-drift', what: 'POST /api/v1/ml/check_drift', candidate: 'anomaly-service' },
] as const;

export type RouteId = (typeof MIGRATION_ROUTES)[number]['id'];
export const ROUTE_IDS: readonly RouteId[] = MIGRATION_ROUTES.map((r) => r.id);

/** `live`: the candidate serves the client; `shadow`: the candidate is called too and compared. */
export type FlagKind = 'live' | 'shadow';
export const FLAG_KINDS: readonly FlagKind[] = ['live', 'shadow'];

/** The Unleash strategy every migration flag uses; its `rollout` parameter is the percentage. */
export const ROLLOUT_STRATEGY = 'flexibleRollout' as const;
export const STICKINESS = 'default';

/** One migration flag as it is created in Unleash: disabled, rollout 0. */
export interface FlagDefinition {
  readonly name: string;
  readonly routeId: RouteId;
  readonly kind: FlagKind;
  readonly description: string;
  readonly type: 'release';
  readonly defaultRollout: 0;
  readonly defaultEnabled: false;
}

export function isRouteId(value: string): value is RouteId {
  return (ROUTE_IDS as readonly string[]).includes(value);
}

export function flagName(routeId: RouteId, kind: FlagKind): string {
  return `migrate.${routeId}.${kind}`;
}

/** The route and kind of a migration flag name, or undefined for any other name. */
export function parseFlagName(name: string): { routeId: RouteId; kind: FlagKind } | undefined {
  const m = /^migrate\.(.+)\.(live|shadow)$/.exec(name);
  if (!m || !isRouteId(m[1])) return undefined;
  return { routeId: m[1], kind: m[2] as FlagKind };
}

function describeFlag(route: (typeof MIGRATION_ROUTES)[number], kind: FlagKind): string {
  return kind === 'live'
    ? `${route.what}: rollout % = share of clients served by ${route.candidate} (sticky per client); disabled = all legacy`
    : `${route.what}: rollout % = share of requests mirrored to ${route.candidate} and compared with the monolith's answer`;
}

/** Every migration flag, live then shadow per route, in route order. */
export function migrationFlags(): readonly FlagDefinition[] {
  return MIGRATION_ROUTES.flatMap((route) =>
    FLAG_KINDS.map(
      (kind): FlagDefinition => ({
        name: flagName(route.id, kind),
        routeId: route.id,
        kind,
        description: describeFlag(route, kind),
        type: 'release',
        defaultRollout: 0,
        defaultEnabled: false,
      }),
    ),
  );
}

/** A migration flag's strategy, as the Admin API takes it and the client API serves it. */
export interface RolloutStrategy {
  name: typeof ROLLOUT_STRATEGY;
  parameters: { rollout: string; stickiness: string; groupId: string };
  constraints: [];
  variants: VariantDefinition[];
}

/** One flag in a client-features document (Unleash's `/api/client/features` shape). */
export interface ClientFeature {
  name: string;
  description: string;
  type: string;
  project: string;
  enabled: boolean;
  stale: boolean;
  impressionData: boolean;
  strategies: RolloutStrategy[];
  variants: [];
  dependencies: [];
}

/** Unleash's client-features document: unleash-client's bootstrap format. */
export interface ClientFeaturesDocument {
  version: 2;
  features: ClientFeature[];
}

/** The flexibleRollout strategy of a migration flag at `rollout` percent. */
export function rolloutStrategy(name: string, rollout: number, variants: readonly VariantSpec[] = []): RolloutStrategy {
  return {
    name: ROLLOUT_STRATEGY,
    parameters: { rollout: String(rollout), stickiness: STICKINESS, groupId: name },
    constraints: [],
    variants: toVariantDefinitions(variants),
  };
}

/** A flag's state in a bootstrap document; omitted fields keep the definition's defaults. */
export interface FlagSetting {
  enabled?: boolean;
  rollout?: number;
  variants?: readonly VariantSpec[];
}

/**
 * An Unleash client-features document (what `GET /api/client/features` answers) for the migration
 * flags, usable as unleash-client's `bootstrap` (`data: doc.features`, or the JSON file as
 * `filePath`, which is what the proxy's UNLEASH_BOOTSTRAP points at).
 * `settings` overrides the state of named flags; unknown names are refused.
 */
export function clientFeaturesDocument(settings: Readonly<Record<string, FlagSetting>> = {}): ClientFeaturesDocument {
  const defs = migrationFlags();
  const unknown = Object.keys(settings).filter((n) => !defs.some((d) => d.name === n));
  if (unknown.length > 0) throw new Error(`not a migration flag: ${unknown.join(', ')}`);
  const features = defs.map((def): ClientFeature => {
    const s = settings[def.name] ?? {};
    const rollout = s.rollout ?? def.defaultRollout;
    if (!Number.isInteger(rollout) || rollout < 0 || rollout > 100) throw new Error(`${def.name}: rollout must be an integer 0..100, got ${rollout}`);
    return {
      name: def.name,
      description: def.description,
      type: def.type,
      project: 'default',
      enabled: s.enabled ?? def.defaultEnabled,
      stale: false,
      impressionData: false,
      strategies: [rolloutStrategy(def.name, rollout, s.variants ?? [])],
      variants: [],
      dependencies: [],
    };
  });
  return { version: 2, features };
}
