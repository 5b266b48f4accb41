import { describe as group, expect, it } from "vitest";

import { asSelection, describe, plainNames, resolve, type SelectorColumn } from "./selection";

const columns: SelectorColumn[] = [
  { name: "age", kind: "numeric", role: "feature", types: ["Numeric", "Integer"] },
  { name: "fnlwgt", kind: "numeric", role: "weight", types: ["Numeric", "Double"] },
  { name: "workclass", kind: "categorical", role: "feature", types: ["Categorical"] },
  { name: "income", kind: "categorical", role: "label", types: ["Categorical"] },
];

group("column selections", () => {
  it("reads names lists and comma strings as include-by-names", () => {
    expect(plainNames(asSelection(["age", "income"]))).toEqual(["age", "income"]);
    expect(plainNames(asSelection("age, income"))).toEqual(["age", "income"]);
  });

  it("applies rules in order from all columns", () => {
    const selection = asSelection({
      begin_with: "all",
      rules: [
        { action: "exclude", by: "type", types: ["Categorical"] },
        { action: "include", by: "kind", kinds: ["Label"] },
      ],
    });
    expect(resolve(selection, columns).chosen).toEqual(["age", "fnlwgt", "income"]);
    expect(plainNames(selection)).toBeNull();
    expect(describe(selection)).toBe("All columns; exclude type Categorical; include kind Label");
  });

  it("distinguishes Integer from Double through the server's types", () => {
    const selection = asSelection({ begin_with: "none", rules: [{ action: "include", by: "type", types: ["Integer"] }] });
    expect(resolve(selection, columns).chosen).toEqual(["age"]);
  });

  it("reports names that are not in the table", () => {
    expect(resolve(asSelection(["age", "salary"]), columns)).toEqual({ chosen: ["age"], missing: ["salary"] });
  });
});
