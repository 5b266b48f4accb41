// Auto-layout, top-down as the classic canvas drew experiments: dagre places each module below what feeds it.
import dagre from "@dagrejs/dagre";

import type { Graph, Position } from "../api/types";

const NODE_WIDTH = 220;
const NODE_HEIGHT = 56;

export function layoutPositions(graph: Graph): Map<string, Position> {
  const layout = new dagre.graphlib.Graph();
  layout.setGraph({ rankdir: "TB", nodesep: 40, ranksep: 60 });
  layout.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) layout.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of graph.edges) layout.setEdge(edge.source, edge.target);
  dagre.layout(layout);
  return new Map(
    graph.nodes.map((node) => {
      const placed = layout.node(node.id);
      return [node.id, { x: Math.round(placed.x - NODE_WIDTH / 2), y: Math.round(placed.y - NODE_HEIGHT / 2) }];
    }),
  );
}
