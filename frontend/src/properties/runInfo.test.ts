import { describe, expect, it } from "vitest";

import { duration, errorParts } from "./runInfo";

describe("run timings and errors", () => {
  it("reads durations as people do", () => {
    expect([duration(null), duration(850), duration(12_400), duration(185_000)]).toEqual(["—", "850 ms", "12.4 s", "3 min 05 s"]);
  });

  it("keeps a message's own detail but not a copy of the traceback", () => {
    const script = "The Python script failed at line 3: TypeError: x\n  File \"script.py\", line 3, in azureml_main\n    boom()";
    const traceback = "Traceback (most recent call last):\n  File \"script.py\", line 3, in azureml_main\n    boom()";
    expect(errorParts(script, traceback)).toEqual({ headline: "The Python script failed at line 3: TypeError: x", more: "" });
    expect(errorParts("Two lines\nof detail", "Traceback ...")).toEqual({ headline: "Two lines", more: "of detail" });
  });
});
