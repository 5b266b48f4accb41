import { describe, expect, it } from "vitest";

import { defaultOverview, fitOptions } from "./overview";

describe("overview", () => {
  it("is shown on roomy windows unless the user hid it, and hidden on small ones unless shown", () => {
    expect(defaultOverview(null, 1440)).toBe(true);
    expect(defaultOverview(null, 1024)).toBe(false);
    expect(defaultOverview("hidden", 1920)).toBe(false);
    expect(defaultOverview("shown", 1024)).toBe(true);
  });

  it("reserves its column only when shown", () => {
    expect(fitOptions(true).padding.right).toBe("232px");
    expect(fitOptions(false).padding.right).toBe(fitOptions(false).padding.top);
  });
});
