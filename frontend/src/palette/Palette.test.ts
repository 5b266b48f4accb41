import { describe, expect, it } from "vitest";

import type { ModuleSpec } from "../api/types";
import { search } from "./Palette";

// A slice of the catalogue in its own order: modules whose descriptions mention scoring come before Score Model.
const module = (id: string, name: string, category: string, description: string) =>
  ({ id, name, category, subcategory: "", description }) as unknown as ModuleSpec;
const catalogue = [
  module("filter-based-feature-selection", "Filter Based Feature Selection", "Feature Selection",
         "Scores each feature against the label with a statistical test and keeps the best; a model of relevance."),
  module("permutation-feature-importance", "Permutation Feature Importance", "Feature Selection",
         "Scores a trained model on shuffled copies of each feature column."),
  module("tune-model-hyperparameters", "Tune Model Hyperparameters", "Machine Learning",
         "Sweeps a model's parameters and keeps the one that scores best."),
  module("score-model-extras", "Score Model Extras", "Machine Learning", "Not a real module: starts with the words."),
  module("assign-data-to-clusters", "Assign Data to Clusters", "Machine Learning", "Scores data against a clustering model."),
  module("score-model", "Score Model", "Machine Learning", "Scores predictions for a trained model."),
  module("split-data", "Split Data", "Data Transformation", "Partitions the rows of a dataset."),
];
const saved = [{ title: "Saved Datasets", reference: "dataset",
                 items: [{ id: 3, name: "Model scores of last year", title: "100 rows" }] }];

const order = (query: string) => search(catalogue, saved, query).flatMap((s) => s.entries.map((e) => e.label));

describe("palette search", () => {
  it("ranks the exact name first, then names that start with the search, then the rest", () => {
    expect(order("score model")).toEqual(["Score Model", "Score Model Extras", "Tune Model Hyperparameters",
                                          "Assign Data to Clusters", "Model scores of last year",
                                          "Filter Based Feature Selection", "Permutation Feature Importance"]);
    expect(order("Score")[0]).toBe("Score Model");
    expect(order("split")).toEqual(["Split Data"]);
  });

  it("matches word beginnings in names before words found only in descriptions", () => {
    expect(order("feat sel")[0]).toBe("Filter Based Feature Selection");
    expect(order("model scores")[0]).toBe("Model scores of last year");  // a saved dataset's name, by its start
    expect(order("clusters")).toEqual(["Assign Data to Clusters"]);
  });

  it("shows every section in catalogue order while the search is empty", () => {
    expect(search(catalogue, saved, "").map((s) => s.title)).toEqual(
      ["Saved Datasets", "Feature Selection", "Machine Learning", "Data Transformation"]);
  });
});
