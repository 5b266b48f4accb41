// While a connection is dragged from a port, which ports it may end on: the store's checkConnection (same
// type from the catalogue, a free input, not the same module) decides, so the highlight never promises an
// edge the canvas would refuse.
import type { Graph, GraphEdge, ModuleSpec } from "../api/types";
import { checkConnection } from "../store";
import type { PortHint } from "./ModuleNode";

export interface Connecting {
  node: string;
  port: string;
  from: "source" | "target";  // dragged from an output (source) or back from an input (target)
}

/** "in:port" / "out:port" -> compatible or incompatible, for one node; null when nothing is being dragged. */
export function portHints(graph: Graph, modules: ReadonlyMap<string, ModuleSpec>, connecting: Connecting | null,
                          nodeId: string, module: ModuleSpec | undefined): Record<string, PortHint> | null {
  if (connecting === null || module === undefined) return null;
  const hints: Record<string, PortHint> = {};
  const hint = (edge: GraphEdge): PortHint => (checkConnection(graph, modules, edge).ok ? "compatible" : "incompatible");
  for (const input of module.inputs) {
    if (connecting.from === "target" && connecting.node === nodeId && connecting.port === input.name) continue;
    hints[`in:${input.name}`] = connecting.from === "source"
      ? hint({ source: connecting.node, source_port: connecting.port, target: nodeId, target_port: input.name })
      : "incompatible";
  }
  for (const output of module.outputs) {
    if (connecting.from === "source" && connecting.node === nodeId && connecting.port === output.name) continue;
    hints[`out:${output.name}`] = connecting.from === "target"
      ? hint({ source: nodeId, source_port: output.name, target: connecting.node, target_port: connecting.port })
      : "incompatible";
  }
  return hints;
}
