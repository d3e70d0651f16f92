/**
 * Environment variables of shadowing, comparison, recording, judging and rollback, spread into the
 * proxy's config schema (`...shadowEnv` in config.ts). Per-route overrides of the judge thresholds
 * live in the route table (`judge` object of a route); these are the defaults.
 */
import { bool, httpUrl, int, num, optional, z } from '@smp/platform';

export const shadowEnv = {
  /** Mirror, compare and judge at all (off: no tap, no gate beyond the in-process store). */
  SHADOW_ENABLED: bool(true),
  /** Whole mirrored request, dispatch to last byte. */
  SHADOW_TIMEOUT_MS: int(2_000, 1, 600_000),
  /** The one mirror budget: exchanges in the shadow worker's hands, all routes together; past it requests are not mirrored. */
  SHADOW_MAX_IN_FLIGHT: int(256, 1, 100_000),
  /**
   * Scheduling niceness of the shadow worker thread (Linux; 0 = same as serving). Above 0, when
   * CPU is short the worker falls behind, the mirror budget fills and mirrors are dropped (counted
   * `budget`) before clients slow down; the price is that the candidate's latency, measured on that
   * thread, reads high under CPU pressure, which the judge may count against it. Default 0.
   */
  SHADOW_WORKER_NICE: int(0, 0, 19),
  /**
   * After the shadow worker (re)starts, its first pairs reach the judge without latencies: its code
   * and connections are cold, so the side it times would read slow. Comparisons and records count.
   */
  SHADOW_LATENCY_WARMUP_PAIRS: int(200, 0, 1_000_000),
  /** Keep-alive connections per upstream in the mirror's own pools. */
  SHADOW_CONNECTIONS: int(64, 1, 10_000),
  /** Request and response bytes copied for mirroring/comparison; larger ones are skipped / not compared. */
  SHADOW_BODY_CAP_BYTES: int(262_144, 0, 67_108_864),
  /** Bytes of each body stored with a mismatching pair. */
  SHADOW_SAMPLE_BODY_BYTES: int(4_096, 0, 1_048_576),
  /**
   * Defaults of the sequential judge (analysis/judge-settings.ts; a route's `judge` object
   * overrides them): it decides on every pair, so there is no interval, window or k.
   */
  JUDGE_MAX_MISMATCH_RATE: num(0.01, 0.000001, 0.5),
  JUDGE_MAX_ERROR_RATE_INCREASE: num(0.01, 0.000001, 0.5),
  JUDGE_MAX_LATENCY_RATIO: num(1.5, 1.000001, 100),
  /** A slow pair must also be this many ms slower (the two sides are timed on different threads). */
  JUDGE_MIN_LATENCY_DIFFERENCE_MS: num(5, 0, 60_000),
  JUDGE_TAIL_LATENCY_RATIO: num(10, 1.000001, 1_000),
  /** α: average run length to a false rollback ≥ 1/α observations per criterion while in control. */
  JUDGE_FALSE_ALARM_LEVEL: num(1e-5, 1e-12, 0.01),
  JUDGE_WARMUP_PAIRS: int(100, 0, 1_000_000),
  /** How often a rolled-back route's flags are read for a manual re-enable in Unleash. */
  ROLLBACK_FLAG_WATCH_MS: int(1_000, 10, 3_600_000),
  /** Full re-read of the shared rollback state (heals missed pub/sub messages). */
  ROLLBACK_RESYNC_MS: int(1_000, 50, 3_600_000),
  ROLLBACK_WEBHOOK_URL: optional(httpUrl()),
  ROLLBACK_WEBHOOK_TIMEOUT_MS: int(2_000, 1, 60_000),
  /** With it, a rollback also switches the route's flags off through the Unleash Admin API. */
  UNLEASH_ADMIN_TOKEN: optional(z.string()),
  /** Admin API base URL; defaults to UNLEASH_URL. */
  UNLEASH_ADMIN_URL: optional(httpUrl()),
  UNLEASH_PROJECT: z.string().trim().min(1).default('default'),
  UNLEASH_ENVIRONMENT: z.string().trim().min(1).default('development'),
  /** Comparison records waiting at most; past it they are dropped (counted). */
  RECORDER_QUEUE_MAX: int(20_000, 1, 10_000_000),
  RECORDER_BATCH_SIZE: int(1_000, 1, 100_000),
  RECORDER_FLUSH_MS: int(250, 1, 600_000),
  /** Raw pairs are kept this long; rollups and rollback events COMPARISON_ROLLUP_RETENTION_DAYS. */
  COMPARISON_RETENTION_HOURS: int(72, 1, 87_600),
  COMPARISON_ROLLUP_RETENTION_DAYS: int(30, 1, 3_650),
  COMPARISON_PURGE_INTERVAL_MS: int(600_000, 1_000, 86_400_000),
} as const;
