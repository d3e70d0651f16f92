/**
 * The ML confusion matrix as a per-minute rollup: how often legacy said label A while the
 * candidate said label B, per route and minute (`proxy_label_rollups`), written in the recorder's
 * batch transaction beside the other rollups, so the report reads minutes, not pairs.
 *
 *   rollUpLabels(batch)  // [{ route: 'ml-predict', minute, legacy: '1', candidate: '0', count: 3 }, …]
 */
import type { PoolClient } from 'pg';
import type { ComparisonRecord } from './comparison-recorder.js';

export interface LabelCell {
  readonly route: string;
  readonly minute: number;
  readonly legacy: string;
  readonly candidate: string;
  count: number;
}

// A model with many classes still gives a bounded matrix: the rest count as `(other)`.
const MAX_LABELS_PER_ROUTE = 50;

/** Count label pairs per route and minute (pure). */
export function rollUpLabels(records: readonly ComparisonRecord[]): LabelCell[] {
  const cells = new Map<string, LabelCell>();
  const labels = new Map<string, Set<string>>();
  const bounded = (route: string, label: string): string => {
    let seen = labels.get(route);
    if (!seen) labels.set(route, (seen = new Set()));
    if (seen.has(label)) return label;
    if (seen.size >= MAX_LABELS_PER_ROUTE) return '(other)';
    seen.add(label);
    return label;
  };
  for (const r of records) {
    const ml = r.result.ml;
    if (!ml || ml.controlLabel === null || ml.candidateLabel === null) continue;
    const minute = Math.floor(r.at / 60_000) * 60_000;
    const legacy = bounded(r.routeId, ml.controlLabel);
    const candidate = bounded(r.routeId, ml.candidateLabel);
    const key = `${r.routeId}\u0000${minute}\u0000${legacy}\u0000${candidate}`;
    const cell = cells.get(key);
    if (cell) cell.count++;
    else cells.set(key, { route: r.routeId, minute, legacy, candidate, count: 1 });
  }
  return [...cells.values()];
}

const UPSERT_LABELS = `
  INSERT INTO proxy_label_rollups AS r (route, minute, legacy_label, candidate_label, count)
  SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::int[])
  ON CONFLICT (route, minute, legacy_label, candidate_label) DO UPDATE SET count = r.count + EXCLUDED.count`;

/** Add a batch's label pairs inside the caller's transaction. */
export async function writeLabelRollups(client: PoolClient, records: readonly ComparisonRecord[]): Promise<void> {
  const cells = rollUpLabels(records);
  if (cells.length === 0) return;
  await client.query(UPSERT_LABELS, [cells.map((c) => c.route), cells.map((c) => new Date(c.minute)), cells.map((c) => c.legacy), cells.map((c) => c.candidate), cells.map((c) => c.count)]);
}
