// Graph JSON (the store's single source of truth) to React Flow's nodes and edges.
import type { Edge, Node } from "@xyflow/react";

import type { Graph, GraphEdge, ModuleSpec } from "../api/types";

export interface ModuleNodeData extends Record<string, unknown> {
  label: string;
  module: string;
  comment: string;
}

export function edgeId(edge: GraphEdge): string {
  return `${edge.source}:${edge.source_port}->${edge.target}:${edge.target_port}`;
}

export function graphToFlow(
  graph: Graph,
  modules: ReadonlyMap<string, ModuleSpec> = new Map(),
): { nodes: Node<ModuleNodeData>[]; edges: Edge[] } {
  const nodes = graph.nodes.map((node) => ({
    id: node.id,
    position: { x: node.position.x, y: node.position.y },
    data: { label: modules.get(node.module)?.name ?? node.module, module: node.module, comment: node.comment },
  }));
  const edges = graph.edges.map((edge) => ({
    id: edgeId(edge),
    source: edge.source,
    target: edge.target,
    sourceHandle: edge.source_port,
    targetHandle: edge.target_port,
  }));
  return { nodes, edges };
}
