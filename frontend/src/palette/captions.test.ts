import { describe, expect, it } from "vitest";

import { withCaptions } from "./Palette";

describe("saved items' captions", () => {
  it("adds the id to every item whose name another item of the group has too", () => {
    const items = withCaptions([
      { id: 3, name: "Income model", title: "Two-Class Logistic Regression, label income" },
      { id: 7, name: "Income model", title: "Two-Class Boosted Decision Tree, label income" },
      { id: 9, name: "Census model", title: "" },
    ]);
    expect(items.map((item) => item.caption)).toEqual(["Income model #3", "Income model #7", "Census model"]);
    expect(new Set(items.map((item) => item.caption)).size).toBe(items.length);
  });

  it("ends every tooltip with the id, and keeps the names as they are", () => {
    const [one] = withCaptions([{ id: 4, name: "Adult", title: "100 rows, 15 columns" }]);
    expect(one).toEqual({ id: 4, name: "Adult", title: "100 rows, 15 columns (#4)", caption: "Adult" });
  });
});
