import { describe, expect, it } from "vitest";

import { ApiError, failureText } from "../api/client";
import type { ModelVersion } from "../api/types";
import { metricsText, rollbackQuestion } from "./endpointManage";
import { savedText } from "./endpointSettings";
import { endpointUrl, newKeysItem } from "./servicePage";

const version: ModelVersion = {
  id: 7, how: "patch", source: "job 1a2b", sha256: "0123456789abcdef", active: false,
  created: "2025-01-31T12:03:07.123456+00:00", metrics: { AUC: 0.91234567, note: "x", Accuracy: 0.8, LogLoss: 0.3, F1: 1 },
};

describe("the Update Resource section", () => {
  it("shows the first three numeric metrics to four places", () => {
    expect(metricsText(version.metrics)).toBe("AUC 0.9123, Accuracy 0.8000, LogLoss 0.3000");
    expect(metricsText(null)).toBe("");
  });

  it("names the version Roll back goes back to, in UTC", () => {
    expect(rollbackQuestion("east", version)).toBe(
      "Roll back the endpoint east to the patch model of 2025-01-31 12:03:07 UTC (sha256 0123456789ab, AUC 0.9123, "
      + "Accuracy 0.8000, LogLoss 0.3000)? It is served from the next request; the model served now stays in the history.");
    expect(rollbackQuestion("east", { ...version, metrics: {} })).toContain("(sha256 0123456789ab)?");
  });
});

describe("the web service pages' calls", () => {
  it("say the server's detail, else their own words with the status", () => {
    const fallback = (code: number) => `The studio answered ${code}.`;
    expect(failureText(new ApiError("x", 400, { detail: "No such version." }), fallback)).toBe("No such version.");
    expect(failureText(new ApiError("502 Bad Gateway", 502, null), fallback)).toBe("The studio answered 502.");
    expect(failureText(new TypeError("Failed to fetch"), fallback)).toBe("Failed to fetch");
  });

  it("address an endpoint by its escaped name", () => {
    expect(endpointUrl("3", "a b")).toBe("/api/web-services/3/endpoints/a%20b/");
    expect(newKeysItem("3")).toBe("atelier-new-keys-3");
  });

  it("sum up saved settings", () => {
    expect(savedText({ Name: "e", MaxConcurrentCalls: 4, ThrottleLevel: "High", DiagnosticsTraceLevel: "All" }))
      .toBe("Saved: at most 4 calls at once, throttle High, trace All.");
  });
});
