import assert from 'node:assert/strict';
import { binaryMetrics, rocAuc } from '../src/evaluation/classification-metrics.js';

describe('binary classification metrics', () => {
  const cases: [string, number[], number[], Partial<ReturnType<typeof binaryMetrics>>][] = [
    ['perfect scores', [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], { accuracy: 1, precision: 1, recall: 1, f1: 1, roc_auc: 1 }],
    ['one missed positive', [0, 1, 1, 0], [0.1, 0.8, 0.4, 0.3], { accuracy: 0.75, precision: 1, recall: 0.5, f1: 2 / 3, roc_auc: 1 }],
    ['inverted scores', [1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9], { accuracy: 0, precision: 0, recall: 0, f1: 0, roc_auc: 0 }],
    ['all tied scores', [1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5], { accuracy: 0.5, precision: 0.5, recall: 1, roc_auc: 0.5 }],
    ['a tie across classes', [0, 1, 0, 1], [0.2, 0.6, 0.6, 0.9], { true_positives: 2, false_positives: 1, roc_auc: 0.875 }],
  ];
  for (const [name, labels, scores, expected] of cases) {
    it(`${name}: ${JSON.stringify(expected)}`, () => {
      const m = binaryMetrics(labels, scores);
      for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs((m as unknown as Record<string, number>)[k] - (v as number)) < 1e-12, `${k} = ${(m as unknown as Record<string, number>)[k]}`);
    });
  }

  it('rocAuc is NaN with no negatives, and binaryMetrics refuses 3 labels for 2 scores', () => {
    assert.ok(Number.isNaN(rocAuc([1, 1], [0.2, 0.3])));
    assert.throws(() => binaryMetrics([0, 1, 1], [0.2, 0.3]), RangeError);
  });
});
