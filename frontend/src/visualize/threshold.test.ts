import { describe, expect, it } from "vitest";

import { metricsAt } from "./threshold";

// 2 positives, 2 negatives; scores: P 0.9, N 0.7, P 0.6, N 0.2 -> sklearn's roc_curve points:
const curve = { threshold: [1, 0.9, 0.7, 0.6, 0.2], fpr: [0, 0, 0.5, 0.5, 1], tpr: [0, 0.5, 0.5, 1, 1] };

describe("metricsAt", () => {
  it("counts at threshold 0.5 like the scored labels do", () => {
    const m = metricsAt(curve, 2, 2, 0.5);
    expect(m).toEqual({ threshold: 0.5, accuracy: 0.75, precision: 2 / 3, recall: 1, f1: 0.8 });
  });

  it("a threshold above every score predicts nothing positive", () => {
    expect(metricsAt(curve, 2, 2, 0.95)).toMatchObject({ accuracy: 0.5, precision: 0, recall: 0, f1: 0 });
  });
});
