import { describe, expect, it } from "vitest";

import type { Graph, ModuleSpec } from "../api/types";
import { availability, type Schemas } from "./columns";

const table = (name: string) => ({ name, type: "DataTable" });
const spec = (id: string, name: string, inputs: string[], outputs: string[]): ModuleSpec => ({
  id, name, category: "", subcategory: "", description: "", version: 1, inputs: inputs.map(table),
  outputs: outputs.map(table), parameters: { properties: {} },
});
const modules = new Map([
  ["dataset", spec("dataset", "Dataset", [], ["dataset"])],
  ["split-data", spec("split-data", "Split Data", ["dataset"], ["results1", "results2"])],
  ["execute-python-script", spec("execute-python-script", "Execute Python Script", ["dataframe1"], ["result_dataset"])],
  ["select-columns-in-dataset", spec("select-columns-in-dataset", "Select Columns in Dataset", ["dataset"], ["results_dataset"])],
  ["join-data", spec("join-data", "Join Data", ["dataset1", "dataset2"], ["results_dataset"])],
]);
const node = (id: string, module: string) => ({ id, module, params: {}, position: { x: 0, y: 0 }, comment: "" });
const edge = (source: string, source_port: string, target: string, target_port: string) =>
  ({ source, source_port, target, target_port });
const graph: Graph = {
  nodes: [node("d", "dataset"), node("s", "split-data"), node("py", "execute-python-script"),
          node("pick", "select-columns-in-dataset"), node("lone", "select-columns-in-dataset")],
  edges: [edge("d", "dataset", "s", "dataset"), edge("s", "results1", "py", "dataframe1"),
          edge("py", "result_dataset", "pick", "dataset")],
};
const age = [{ name: "age", kind: "numeric" }];

describe("the columns reaching a module", () => {
  it("come from the inferred schema of what feeds its dataset input", () => {
    const schemas: Schemas = { d: { dataset: age }, s: { results1: age, results2: age } };
    expect(availability(graph, "py", modules, schemas, [])).toEqual({ columns: age, from: "from Split Data (s)" });
  });

  it("come from the input a parameter selects from (Join Data's right keys: the second dataset)", () => {
    const join: Graph = { nodes: [...graph.nodes, node("j", "join-data")],
                          edges: [edge("d", "dataset", "j", "dataset1"), edge("s", "results2", "j", "dataset2")] };
    const city = [{ name: "city", kind: "string" }];
    const schemas: Schemas = { d: { dataset: age }, s: { results1: age, results2: city } };
    expect(availability(join, "j", modules, schemas, [])).toEqual({ columns: age, from: "from Dataset (d)" });
    expect(availability(join, "j", modules, schemas, [], "dataset2")).toEqual({ columns: city, from: "from Split Data (s)" });
  });

  it("say to connect the input first", () => {
    expect(availability(graph, "lone", modules, {}, [])).toMatchObject({ columns: null, reason: expect.stringContaining("Connect") });
  });

  it("name the upstream module that only knows its columns after a run", () => {
    const schemas: Schemas = { d: { dataset: age }, s: { results1: age, results2: age } };
    const result = availability(graph, "pick", modules, schemas, []);
    expect(result).toMatchObject({ columns: null });
    expect(result.columns === null && result.reason).toMatch(/^Execute Python Script \(py\) makes its columns only when it runs/);
  });

  it("name the first upstream problem that stops inference", () => {
    const problems = [{ node: "d", parameter: "dataset", message: "Choose the saved dataset of Dataset (node d)." }];
    const result = availability(graph, "pick", modules, {}, problems);
    expect(result.columns === null && result.reason).toBe(
      "Dataset (d) has a problem to fix first: Choose the saved dataset of Dataset (node d).");
  });
});
