import { describe, expect, it } from "vitest";

import type { Graph } from "../api/types";
import { layoutPositions } from "./layout";

const at = { x: 0, y: 0 };
const graph: Graph = {
  nodes: ["data", "split", "learner", "train"].map((id) => ({ id, module: id, params: {}, position: at, comment: "" })),
  edges: [
    { source: "data", source_port: "dataset", target: "split", target_port: "dataset" },
    { source: "split", source_port: "results1", target: "train", target_port: "dataset" },
    { source: "learner", source_port: "untrained_model", target: "train", target_port: "untrained_model" },
  ],
};

function y(positions: Map<string, { x: number; y: number }>, id: string): number {
  return positions.get(id)?.y ?? Number.NaN;
}

function x(positions: Map<string, { x: number; y: number }>, id: string): number {
  return positions.get(id)?.x ?? Number.NaN;
}

describe("layoutPositions", () => {
  it("places every module below the modules that feed it", () => {
    const positions = layoutPositions(graph);
    for (const edge of graph.edges) {
      expect(y(positions, edge.target)).toBeGreaterThan(y(positions, edge.source));
    }
  });

  it("keeps modules of one rank apart", () => {
    const positions = layoutPositions(graph);
    expect(Math.abs(x(positions, "data") - x(positions, "learner"))).toBeGreaterThanOrEqual(220);
  });
});
