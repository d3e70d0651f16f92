/**
 * An in-memory Unleash repository: the client evaluates flags from features we hand it, with no
 * network, no polling and no backup file. Used for `UNLEASH_BOOTSTRAP` (features read once from a
 * client-features JSON file) and by tests that change a rollout between two evaluations:
 *
 *   const repo = new MemoryRepository({ version: 1, features: [...] });
 *   const unleash = new Unleash({ appName, url: 'http://bootstrap.invalid', repository: repo, disableMetrics: true });
 *   repo.setFeatures({ version: 1, features: [... rollout "50" ...] });   // takes effect at once
 */
import { EventEmitter } from 'node:events';
import { UnleashEvents, type ClientFeaturesResponse } from 'unleash-client';
import type { FeatureInterface, EnhancedFeatureInterface } from 'unleash-client/lib/feature.js';
import type { RepositoryInterface } from 'unleash-client/lib/repository/index.js';
import type { Segment } from 'unleash-client/lib/strategy/strategy.js';

/** Throws a plain Error naming the problem when `data` is not a client-features document. */
export function parseClientFeatures(data: unknown): ClientFeaturesResponse {
  if (data === null || typeof data !== 'object' || !Array.isArray((data as { features?: unknown }).features)) {
    throw new Error('expected Unleash client-features JSON: {"version": 2, "features": [...]}');
  }
  const doc = data as ClientFeaturesResponse;
  doc.features.forEach((f, i) => {
    if (f === null || typeof f !== 'object' || typeof f.name !== 'string' || typeof f.enabled !== 'boolean') {
      throw new Error(`features[${i}]: expected {"name": string, "enabled": boolean, "strategies": [...]}`);
    }
  });
  return doc;
}

export class MemoryRepository extends EventEmitter implements RepositoryInterface {
  private features = new Map<string, FeatureInterface>();
  private segments = new Map<number, Segment>();
  private started = false;

  constructor(initial: ClientFeaturesResponse = { version: 2, features: [] }) {
    super();
    this.load(initial);
  }

  /** Replace every feature at once; emits `changed` like a fetched update would. */
  setFeatures(data: ClientFeaturesResponse): void {
    this.load(data);
    if (this.started) this.emit(UnleashEvents.Changed, data.features);
  }

  async start(): Promise<void> {
    this.started = true;
    // The client marks itself ready and synchronized on these, as after a first fetch.
    this.emit(UnleashEvents.Ready);
    this.emit(UnleashEvents.Changed, [...this.features.values()]);
  }

  stop(): void {
    this.started = false;
  }

  getToggle(name: string): FeatureInterface | undefined {
    return this.features.get(name);
  }

  getToggles(): FeatureInterface[] {
    return [...this.features.values()];
  }

  getTogglesWithSegmentData(): EnhancedFeatureInterface[] {
    return this.getToggles().map(({ strategies, ...rest }) => ({
      ...rest,
      strategies: strategies?.map(({ segments, ...s }) => ({ ...s, segments: segments?.map((id) => this.segments.get(id)) })),
    }));
  }

  getSegment(id: number): Segment | undefined {
    return this.segments.get(id);
  }

  private load(data: ClientFeaturesResponse): void {
    const doc = parseClientFeatures(data);
    this.features = new Map(doc.features.map((f) => [f.name, f]));
    this.segments = new Map((doc.segments ?? []).map((s) => [s.id, s]));
  }
}
