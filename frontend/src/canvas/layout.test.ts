import { describe, expect, it } from "vitest";

import type { Graph } from "../api/types";
import { freeOffset, freeSpot, layoutPositions, overlaps, type Size } from "./layout";

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

/** The income experiment of the browser journeys, with the sizes Chromium measured for its nodes: a dataset
 *  node with its name and row count, a learner whose name is long, Split Data with its caption, and so on. */
const income: Graph = {
  nodes: ["data", "clean", "split", "learner", "train", "score", "evaluate", "notes"].map((id) => ({
    id, module: id, params: {}, position: at, comment: "" })),
  edges: [
    ["data", "clean"], ["clean", "split"], ["split", "train"], ["learner", "train"], ["train", "score"],
    ["split", "score"], ["score", "evaluate"],
  ].map(([source = "", target = ""]) => ({ source, source_port: "out", target, target_port: "in" })),
};
const measured: Record<string, Size> = {
  data: { width: 200, height: 62 }, clean: { width: 200, height: 62 }, split: { width: 200, height: 62 },
  learner: { width: 200, height: 44 }, train: { width: 200, height: 62 }, score: { width: 200, height: 44 },
  evaluate: { width: 200, height: 78 }, notes: { width: 200, height: 78 },
};
const sizeOf = (id: string): Size => measured[id] ?? { width: 200, height: 80 };

describe("layoutPositions", () => {
  it("places every module below the modules that feed it", () => {
    const positions = layoutPositions(graph);
    for (const edge of graph.edges) {
      expect(y(positions, edge.target)).toBeGreaterThan(y(positions, edge.source));
    }
  });

  it("leaves no two node boxes intersecting, with the sizes the page measured", () => {
    const laidOut = (sizes: (id: string) => Size) => {
      const positions = layoutPositions(income, sizes);
      return { ...income, nodes: income.nodes.map((n) => ({ ...n, position: positions.get(n.id) ?? at })) };
    };
    expect(overlaps(laidOut(sizeOf), sizeOf)).toEqual([]);
    // Wider and taller than the nominal box (a long comment, a zoomed-in font): still apart.
    const big = (id: string): Size => ({ width: 320, height: id === "learner" ? 130 : 96 });
    expect(overlaps(laidOut(big), big)).toEqual([]);
  });
});

describe("freeOffset", () => {
  const box = (x: number, y: number) => ({ x, y, width: 200, height: 80 });

  it("moves copies clear of the originals and of every other node", () => {
    const originals = [box(0, 0), box(0, 110)];
    const offset = freeOffset(originals, originals);
    expect(offset.x).toBeGreaterThan(0);
    for (const copy of originals.map((b) => ({ ...b, x: b.x + offset.x, y: b.y + offset.y }))) {
      for (const other of originals) {
        expect(copy.x >= other.x + other.width || copy.y >= other.y + other.height).toBe(true);
      }
    }
    const crowded = [...originals, box(240, 240)];
    const further = freeOffset(crowded, originals);
    expect(further.x).toBeGreaterThan(offset.x);
  });
});

describe("freeSpot", () => {
  const placed = (positions: [string, number, number][]): Graph => ({
    nodes: positions.map(([id, x, y]) => ({ id, module: id, params: {}, position: { x, y }, comment: "" })), edges: [],
  });

  it("keeps a clear spot and steps off a taken one", () => {
    expect(freeSpot(placed([["far", 1000, 1000]]), { x: 0, y: 0 })).toEqual({ x: 0, y: 0 });
    const taken = placed([["train", 10, 10], ["score", 50, 120]]);
    const spot = freeSpot(taken, { x: 0, y: 0 });
    expect(spot).not.toEqual({ x: 0, y: 0 });
    const added = { ...taken, nodes: [...taken.nodes, { id: "new", module: "new", params: {}, position: spot, comment: "" }] };
    expect(overlaps(added)).toEqual([]);
  });
});
