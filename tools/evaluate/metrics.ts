/**
 * Classification metrics from a confusion matrix: accuracy, per-class precision and recall.
 */

/** Per-class figures. A ratio with an empty denominator is null (not 0: nothing was measured). */
export interface ClassMetrics {
  label: string;
  /** Samples of this class in the data (row sum). */
  support: number;
  /** Samples predicted as this class (column sum). */
  predicted: number;
  /** Correct / predicted. */
  precision: number | null;
  /** Correct / support. */
  recall: number | null;
}

/** Accuracy and per-class figures of a confusion matrix. */
export interface ClassificationMetrics {
  total: number;
  correct: number;
  accuracy: number;
  perClass: ClassMetrics[];
}

/**
 * Metrics of `confusion[truth][predicted]` over `labels`.
 * @example
 * metricsOf([[3, 1], [0, 4]], ['a', 'b']).accuracy; // 0.875
 */
export function metricsOf(confusion: number[][], labels: readonly string[]): ClassificationMetrics {
  let total = 0;
  let correct = 0;
  const perClass = labels.map((label, c) => {
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c]!, 0);
    const hit = confusion[c]![c]!;
    total += support;
    correct += hit;
    return {
      label,
      support,
      predicted,
      precision: predicted > 0 ? hit / predicted : null,
      recall: support > 0 ? hit / support : null,
    };
  });
  return { total, correct, accuracy: total > 0 ? correct / total : 0, perClass };
}
