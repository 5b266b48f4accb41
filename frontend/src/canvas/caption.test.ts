import { describe, expect, it } from "vitest";

import type { GraphNode, ModuleSpec } from "../api/types";
import { nodeCaption } from "./caption";

// The catalogue's entries for these modules, as GET /api/modules/ gives them (only what captions read).
const split = {
  id: "split-data", name: "Split Data",
  caption: ["{fraction_of_rows_in_the_first_output_dataset}", "random seed {random_seed}",
            "stratified by {stratification_key_column}", "{regular_expression}"],
  parameters: { properties: {
    splitting_mode: { default: "Split Rows", enum: ["Split Rows", "Regular Expression"] },
    fraction_of_rows_in_the_first_output_dataset: { default: 0.5, "x-visible-when": { splitting_mode: ["Split Rows"] } },
    random_seed: { default: 0, "x-visible-when": { splitting_mode: ["Split Rows"] } },
    stratified_split: { default: false },
    stratification_key_column: { default: { begin_with: "none", rules: [] }, "x-widget": "column-selector",
                                 "x-visible-when": { stratified_split: [true] } },
    regular_expression: { default: "", "x-visible-when": { splitting_mode: ["Regular Expression"] } },
  } },
} as unknown as ModuleSpec;
const train = {
  id: "train-model", name: "Train Model", caption: ["label: {label_column}"],
  parameters: { properties: { label_column: { default: { begin_with: "none", rules: [] }, "x-widget": "column-selector" } } },
} as unknown as ModuleSpec;
const dataset = {
  id: "dataset", name: "Dataset", caption: [],
  parameters: { properties: { dataset: { default: null, "x-reference": "dataset" } } },
} as unknown as ModuleSpec;

const node = (module: string, params: Record<string, unknown>): GraphNode =>
  ({ id: "n1", module, params, position: { x: 0, y: 0 }, comment: "" });
const saved = new Map([["dataset:7", { name: "Adult Census Income Binary Classification dataset", detail: "32,561 rows" }]]);

describe("node captions", () => {
  it("show the module's key parameters in a few words, defaults included", () => {
    expect(nodeCaption(node("split-data", { fraction_of_rows_in_the_first_output_dataset: 0.7 }), split, saved))
      .toMatchObject({ title: "Split Data", summary: "0.7, random seed 0" });
    expect(nodeCaption(node("train-model", { label_column: ["income"] }), train, saved).summary).toBe("label: income");
  });

  it("leave out what is hidden or empty, and show what becomes visible", () => {
    expect(nodeCaption(node("train-model", {}), train, saved).summary).toBe("");
    const stratified = node("split-data", { stratified_split: true, stratification_key_column: ["income"] });
    expect(nodeCaption(stratified, split, saved).summary).toBe("0.5, random seed 0, stratified by income");
    const pattern = node("split-data", { splitting_mode: "Regular Expression", regular_expression: '\\"sex" Female' });
    expect(nodeCaption(pattern, split, saved).summary).toBe('\\"sex" Female');
  });

  it("name the saved dataset a Dataset node reads, not 'Dataset'", () => {
    expect(nodeCaption(node("dataset", { dataset: 7 }), dataset, saved)).toEqual({
      title: "Adult Census Income Binary Classification dataset", summary: "Dataset · 32,561 rows",
      tooltip: "Adult Census Income Binary Classification dataset\nDataset · 32,561 rows" });
    expect(nodeCaption(node("dataset", {}), dataset, saved).title).toBe("Dataset");
    expect(nodeCaption(node("dataset", { dataset: 99 }), dataset, saved).title).toBe("Dataset 99 (not found)");
  });
});
