import { describe, expect, it } from "vitest";

import { type Job, locationFor, metricsText, progressOf } from "./retrain";

const job = (fields: Partial<Job>): Job => ({
  id: "abc", StatusCode: "Running", Details: "", CreatedAt: "2025-01-01T00:00:00+00:00", StartTime: null,
  EndTime: null, rows: 0, chunks: 0, chunks_done: 0, dispatched: true, inputs: {}, outputs: [], metrics: {},
  ...fields,
});

describe("retraining in the page", () => {
  it("stores an upload under training/ with a name the storage accepts", () => {
    expect(locationFor("adult census (2024).csv")).toBe("training/adult-census-2024-.csv");
    expect(locationFor("..hidden.csv")).toBe("training/hidden.csv");
    expect(locationFor("???")).toBe("training/data.csv");
  });

  it("shows a job's progress: waiting, training (indeterminate), chunks, ended", () => {
    expect(progressOf(job({ dispatched: false, Details: "Waiting for its turn" })))
      .toEqual({ value: null, max: 1, text: "Waiting for its turn" });
    expect(progressOf(job({})).value).toBeNull();
    expect(progressOf(job({ chunks: 4, chunks_done: 3, Details: "3 of 4 chunks scored" })))
      .toEqual({ value: 3, max: 4, text: "3 of 4 chunks scored" });
    expect(progressOf(job({ StatusCode: "Finished", Details: "Trained on 3000 rows." })))
      .toEqual({ value: 1, max: 1, text: "Trained on 3000 rows." });
    expect(progressOf(job({ StatusCode: "Failed", Details: "Input could not be read" })).value).toBe(0);
  });

  it("writes the model's first metrics", () => {
    expect(metricsText({ AUC: 0.91234, Accuracy: 0.85, "Positive Label": ">50K" })).toBe("AUC 0.9123 · Accuracy 0.8500");
  });
});
