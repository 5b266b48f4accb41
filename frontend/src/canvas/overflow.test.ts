import { describe, expect, it } from "vitest";

import { overflowing } from "./OverflowBar";

const items = [{ key: "run", priority: 100 }, { key: "save-as", priority: 50 }, { key: "undo", priority: 90 },
               { key: "history", priority: 75 }];
const widths = new Map([["run", 50], ["save-as", 80], ["undo", 40], ["history", 150]]);

describe("overflowing", () => {
  it("keeps everything in the bar when it all fits, without room for the More button", () => {
    expect(overflowing(items, widths, 320, 80)).toEqual(new Set());
  });

  it("moves the lowest priorities to the menu, keeping room for the More button", () => {
    expect(overflowing(items, widths, 319, 80)).toEqual(new Set(["save-as", "history"]));
    expect(overflowing(items, widths, 310, 60)).toEqual(new Set(["save-as"]));
  });

  it("never keeps a lower priority in the bar after a higher one went to the menu", () => {
    const narrow = new Map([...widths, ["history", 400]]);
    expect(overflowing(items, narrow, 400, 80)).toEqual(new Set(["save-as", "history"]));
  });
});
