import { describe, expect, it } from "vitest";

import type { Graph, ModuleSpec } from "./api/types";
import {
  addNode,
  checkConnection,
  commit,
  connect,
  historyOf,
  moveNodes,
  pasteNodes,
  redo,
  removeItems,
  selection,
  setWebParameter,
  undo,
} from "./store";
import { overlaps } from "./canvas/layout";

const port = (name: string, type: string) => ({ name, type });
const modules = new Map<string, ModuleSpec>([
  ["dataset", { id: "dataset", outputs: [port("dataset", "DataTable")], inputs: [] } as unknown as ModuleSpec],
  [
    "split-data",
    {
      id: "split-data",
      inputs: [port("dataset", "DataTable")],
      outputs: [port("results1", "DataTable"), port("results2", "DataTable")],
    } as unknown as ModuleSpec,
  ],
  [
    "two-class-boosted-decision-tree",
    { id: "two-class-boosted-decision-tree", inputs: [], outputs: [port("untrained_model", "UntrainedModel")] } as unknown as ModuleSpec,
  ],
]);

const empty: Graph = { nodes: [], edges: [] };
const at = { x: Number.NaN, y: Number.NaN };

function built(): Graph {
  let graph = addNode(empty, "dataset", { x: 0, y: 0 });
  graph = addNode(graph, "split-data", { x: 0, y: 100 });
  return connect(graph, modules, { source: "n1", source_port: "dataset", target: "n2", target_port: "dataset" });
}

describe("graph edits", () => {
  it("adds nodes with fresh ids and connects compatible ports", () => {
    const graph = built();
    expect(graph.nodes.map((node) => node.id)).toEqual(["n1", "n2"]);
    expect(graph.edges).toHaveLength(1);
  });

  it("refuses a connection between different port types, naming them", () => {
    const graph = addNode(built(), "two-class-boosted-decision-tree", { x: 0, y: 0 });
    const edge = { source: "n3", source_port: "untrained_model", target: "n2", target_port: "dataset" };
    expect(checkConnection(graph, modules, edge)).toEqual({
      ok: false,
      reason: "A UntrainedModel output can't go into a DataTable input",
    });
    expect(connect(graph, modules, edge)).toBe(graph);
  });

  it("allows one edge per input", () => {
    const graph = addNode(built(), "dataset", { x: 0, y: 0 });
    const second = { source: "n3", source_port: "dataset", target: "n2", target_port: "dataset" };
    expect(checkConnection(graph, modules, second)).toEqual({ ok: false, reason: "Input 'dataset' is already connected" });
  });

  it("removing a node removes its edges", () => {
    expect(removeItems(built(), new Set(["n1"]), new Set())).toEqual({
      nodes: [{ id: "n2", module: "split-data", params: {}, position: { x: 0, y: 100 }, comment: "" }],
      edges: [],
    });
  });

  it("pastes copies with new ids and the edges between them, clear of every node on the canvas", () => {
    const graph = built();
    const { graph: pasted, pasted: ids } = pasteNodes(graph, selection(graph, new Set(["n1", "n2"])));
    expect(ids).toEqual(["n3", "n4"]);
    expect(pasted.edges.at(-1)).toEqual({ source: "n3", source_port: "dataset", target: "n4", target_port: "dataset" });
    const [copy1, copy2] = [pasted.nodes[2]?.position ?? at, pasted.nodes[3]?.position ?? at];
    // Moved together (the pair keeps its shape), diagonally, and no copy's box touches an original's.
    expect(copy2.y - copy1.y).toBe(100);
    expect(copy1.x).toBe(copy1.y);
    expect(copy1.x).toBeGreaterThan(0);
    expect(overlaps(pasted)).toEqual([]);
    // Pasting again lands clear of the first copies too.
    const again = pasteNodes(pasted, selection(graph, new Set(["n1", "n2"])));
    expect(again.pasted).toEqual(["n5", "n6"]);
    expect(overlaps(again.graph)).toEqual([]);
  });

  it("deleting a node and its edges together is one undo step", () => {
    const history = commit(historyOf(built()), removeItems(built(), new Set(["n1"]), new Set(["n1:dataset->n2:dataset"])));
    expect(history.present.edges).toEqual([]);
    expect(undo(history).present).toEqual(built());
  });
});

describe("undo and redo", () => {
  it("walk back and forth through add, move, connect, delete and paste", () => {
    let history = historyOf(empty);
    const steps: Graph[] = [];
    const apply = (next: Graph) => {
      history = commit(history, next);
      steps.push(history.present);
    };
    apply(addNode(history.present, "dataset", { x: 0, y: 0 }));
    apply(addNode(history.present, "split-data", { x: 0, y: 100 }));
    apply(moveNodes(history.present, new Map([["n2", { x: 10, y: 120 }]])));
    apply(connect(history.present, modules, { source: "n1", source_port: "dataset", target: "n2", target_port: "dataset" }));
    apply(pasteNodes(history.present, selection(history.present, new Set(["n1"]))).graph);
    apply(removeItems(history.present, new Set(["n1"]), new Set()));

    for (let index = steps.length - 2; index >= 0; index -= 1) {
      history = undo(history);
      expect(history.present).toEqual(steps[index]);
    }
    history = undo(history);
    expect(history.present).toEqual(empty);
    expect(undo(history)).toBe(history);
    for (const step of steps) {
      history = redo(history);
      expect(history.present).toEqual(step);
    }
    expect(redo(history)).toBe(history);
  });

  it("a new edit after undo drops the redo branch", () => {
    let history = commit(historyOf(empty), addNode(empty, "dataset", { x: 0, y: 0 }));
    history = undo(history);
    history = commit(history, addNode(history.present, "split-data", { x: 0, y: 0 }));
    expect(history.future).toEqual([]);
    expect(history.present.nodes.map((node) => node.module)).toEqual(["split-data"]);
  });
});

describe("web service parameters", () => {
  it("are set, replaced, removed, undone, and dropped with their node", () => {
    const graph: Graph = { nodes: [{ id: "n1", module: "split-data", params: {}, position: { x: 0, y: 0 }, comment: "" }],
                    edges: [] };
    const exposed = setWebParameter(graph, "n1", "fraction", "Fraction", 0.5);
    expect(exposed.web_service_parameters).toEqual([
      { name: "Fraction", node: "n1", parameter: "fraction", default: 0.5 },
    ]);
    const renamed = setWebParameter(exposed, "n1", "fraction", "Share", 0.5);
    expect(renamed.web_service_parameters?.map((p) => p.name)).toEqual(["Share"]);
    expect(setWebParameter(renamed, "n1", "fraction", null, null)).toEqual(graph);
    expect(removeItems(renamed, new Set(["n1"]), new Set()).web_service_parameters).toBeUndefined();
    expect(undo(commit(historyOf(graph), exposed)).present).toEqual(graph);
  });
});
