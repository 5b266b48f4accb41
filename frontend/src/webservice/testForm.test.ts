import { describe, expect, it } from "vitest";

import { answerOrder, controlFor, failureOf, isScored } from "./testForm";

describe("the Test form's fields", () => {
  it("asks for a text column with known values as a list, numbers as numbers, booleans as true/false", () => {
    expect(controlFor({ name: "workclass", kind: "string", levels: ["Private", "State-gov"] }))
      .toEqual({ tag: "select", options: ["Private", "State-gov"] });
    expect(controlFor({ name: "age", kind: "numeric" })).toEqual({ tag: "input", type: "number" });
    expect(controlFor({ name: "smoker", kind: "boolean" })).toEqual({ tag: "select", options: ["true", "false"] });
    expect(controlFor({ name: "note", kind: "string" })).toEqual({ tag: "input", type: "text" });
    expect(controlFor({ name: "note", kind: "string", levels: [] })).toEqual({ tag: "input", type: "text" });
  });
});

describe("the Test form's answer", () => {
  it("puts the scored columns first, in the service's order, then the rest", () => {
    const names = ["age", "workclass", "Scored Labels", "Scored Probabilities"];
    expect(answerOrder(names)).toEqual([2, 3, 0, 1]);
    expect(isScored('Scored Probabilities for Class "setosa"')).toBe(true);
    expect(isScored("Assignments")).toBe(true);
    expect(isScored("Scored")).toBe(false);
  });

  it("reads the refusal's message and the column it names, from RRS errors and studio errors", () => {
    const rrs = { error: { code: "BadArgument", message: "Column 'capital-gain', row 1: 'x' is not a number" } };
    expect(failureOf(rrs, "?")).toEqual({ message: rrs.error.message, column: "capital-gain" });
    expect(failureOf({ detail: "Not found." }, "?")).toEqual({ message: "Not found.", column: null });
    expect(failureOf(null, "TypeError: Failed to fetch")).toEqual({ message: "TypeError: Failed to fetch", column: null });
  });
});
