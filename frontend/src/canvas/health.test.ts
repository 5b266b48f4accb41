import { describe, expect, it } from "vitest";

import { healthWarning } from "./health";

describe("healthWarning", () => {
  it("names the task queue when Redis is down, and says scoring goes on", () => {
    const text = healthWarning({ database: "ok", redis: "error: Connection refused", worker: "unreachable" });
    expect(text).toContain("Redis");
    expect(text).toContain("keep scoring");
  });
  it("says no worker answers when only the worker is missing", () => {
    expect(healthWarning({ database: "ok", redis: "ok", worker: "no worker answered" })).toContain("No worker");
  });
  it("is empty when all is well", () => {
    expect(healthWarning({ database: "ok", redis: "ok", worker: "ok" })).toBe("");
  });
});
