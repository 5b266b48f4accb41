import { describe, expect, it } from "vitest";

import type { Graph, ModuleSpec } from "../api/types";
import { portHints } from "./connecting";

const port = (name: string, type: string) => ({ name, type });
const spec = (id: string, inputs: [string, string][], outputs: [string, string][]) =>
  ({ id, inputs: inputs.map(([n, t]) => port(n, t)), outputs: outputs.map(([n, t]) => port(n, t)) }) as unknown as ModuleSpec;
const modules = new Map<string, ModuleSpec>([
  ["dataset", spec("dataset", [], [["dataset", "DataTable"]])],
  ["learner", spec("learner", [], [["untrained_model", "UntrainedModel"]])],
  ["train-model", spec("train-model", [["untrained_model", "UntrainedModel"], ["dataset", "DataTable"]],
                       [["trained_model", "TrainedModel"]])],
  ["score-model", spec("score-model", [["trained_model", "TrainedModel"], ["dataset", "DataTable"]],
                       [["scored_dataset", "DataTable"]])],
]);
const node = (id: string, module: string) => ({ id, module, params: {}, position: { x: 0, y: 0 }, comment: "" });
const graph: Graph = {
  nodes: [node("data", "dataset"), node("other", "dataset"), node("learner", "learner"), node("train", "train-model"),
          node("score", "score-model")],
  edges: [{ source: "other", source_port: "dataset", target: "score", target_port: "dataset" }],
};
const hints = (id: string, connecting: Parameters<typeof portHints>[2]) =>
  portHints(graph, modules, connecting, id, modules.get(graph.nodes.find((n) => n.id === id)?.module ?? ""));

describe("port hints while a connection is dragged", () => {
  it("highlight free inputs of the same type and dim the rest", () => {
    const fromData = { node: "data", port: "dataset", from: "source" as const };
    expect(hints("train", fromData)).toEqual({ "in:untrained_model": "incompatible", "in:dataset": "compatible",
                                               "out:trained_model": "incompatible" });
    // Score Model's dataset input is taken already: dimmed too.
    expect(hints("score", fromData)).toEqual({ "in:trained_model": "incompatible", "in:dataset": "incompatible",
                                               "out:scored_dataset": "incompatible" });
    expect(hints("data", fromData)).toEqual({});  // the port being dragged from: no hint
  });

  it("work backwards from an input to the outputs that may feed it", () => {
    const intoTrain = { node: "train", port: "untrained_model", from: "target" as const };
    expect(hints("learner", intoTrain)).toEqual({ "out:untrained_model": "compatible" });
    expect(hints("data", intoTrain)).toEqual({ "out:dataset": "incompatible" });
  });

  it("say nothing when no connection is being dragged", () => {
    expect(hints("train", null)).toBeNull();
  });
});
