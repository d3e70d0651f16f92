/**
 * Held-out metrics for a binary classifier, as the model cards report them: accuracy, precision,
 * recall and F1 of the positive (failure) class at the 0.5 threshold, and ROC-AUC from the scores
 * (the Mann–Whitney statistic, ties counted one half).
 *
 *   binaryMetrics([0, 1, 1, 0], [0.1, 0.8, 0.4, 0.3])
 *   // { rows: 4, positives: 2, accuracy: 0.75, precision: 1, recall: 0.5, f1: 0.667, roc_auc: 1, … }
 */

/** Metrics of scores against 0/1 labels; precision/recall/F1 are 0 when undefined (no predicted or true positives). */
export interface BinaryMetrics {
  rows: number;
  positives: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  roc_auc: number;
  true_positives: number;
  false_positives: number;
  false_negatives: number;
  true_negatives: number;
}

export function binaryMetrics(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold = 0.5): BinaryMetrics {
  const n = labels.length;
  if (n !== scores.length || n === 0) throw new RangeError(`need as many scores as labels (got ${scores.length} and ${n})`);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < n; i++) {
    const predicted = scores[i] >= threshold;
    if (labels[i] === 1) {
      if (predicted) tp++;
      else fn++;
    } else if (predicted) fp++;
    else tn++;
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return {
    rows: n,
    positives: tp + fn,
    accuracy: (tp + tn) / n,
    precision,
    recall,
    f1,
    roc_auc: rocAuc(labels, scores),
    true_positives: tp,
    false_positives: fp,
    false_negatives: fn,
    true_negatives: tn,
  };
}

/** Area under the ROC curve: P(score of a random positive > score of a random negative) + ½ P(tie). */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < order.length; ) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    const midRank = (start + end) / 2 + 1; // 1-based average rank of the tie group
    for (let k = start; k <= end; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        rankSum += midRank;
      }
    }
    start = end + 1;
  }
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
