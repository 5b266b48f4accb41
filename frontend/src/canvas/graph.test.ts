import { describe, expect, it } from "vitest";

import type { Graph, ModuleSpec } from "../api/types";
import { graphToFlow } from "./graph";

const graph: Graph = {
  nodes: [
    { id: "n1", module: "dataset", params: { dataset: 3 }, position: { x: 80, y: 40 }, comment: "Adult" },
    { id: "n2", module: "split-data", params: {}, position: { x: 80, y: 160 }, comment: "" },
  ],
  edges: [{ source: "n1", source_port: "dataset", target: "n2", target_port: "dataset" }],
};

describe("graphToFlow", () => {
  it("keeps node ids and positions, and labels nodes by module id without a catalogue", () => {
    const { nodes } = graphToFlow(graph);
    expect(nodes.map((node) => [node.id, node.position, node.data.label])).toEqual([
      ["n1", { x: 80, y: 40 }, "dataset"],
      ["n2", { x: 80, y: 160 }, "split-data"],
    ]);
  });

  it("labels nodes with the catalogue's module names when it has them", () => {
    const split = { id: "split-data", name: "Split Data" } as ModuleSpec;
    const { nodes } = graphToFlow(graph, new Map([["split-data", split]]));
    expect(nodes[1]?.data.label).toBe("Split Data");
  });

  it("turns edges into port-to-port connections with stable ids", () => {
    const { edges } = graphToFlow(graph);
    expect(edges).toEqual([
      { id: "n1:dataset->n2:dataset", source: "n1", target: "n2", sourceHandle: "dataset", targetHandle: "dataset" },
    ]);
  });
});
