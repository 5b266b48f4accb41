// Binary metrics at any threshold, from the ROC curve's points (no round trip to the server).

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  threshold: number[];
}

export interface ThresholdMetrics {
  threshold: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
}

/** The curve point for the smallest curve threshold at or above `threshold` (scores >= t count as positive). */
export function metricsAt(curve: RocCurve, positives: number, negatives: number, threshold: number): ThresholdMetrics {
  let index = 0;
  curve.threshold.forEach((t, i) => {
    if (t >= threshold) index = i;
  });
  const tp = (curve.tpr[index] ?? 0) * positives;
  const fp = (curve.fpr[index] ?? 0) * negatives;
  const tn = negatives - fp;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = positives > 0 ? tp / positives : 0;
  return {
    threshold,
    accuracy: (tp + tn) / Math.max(positives + negatives, 1),
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
  };
}
