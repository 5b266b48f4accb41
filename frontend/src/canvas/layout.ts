// Where modules go: auto-layout, top-down as the classic canvas drew experiments (dagre places each module
// below what feeds it), and the box geometry that keeps pasted copies clear of what is already there.
import dagre from "@dagrejs/dagre";

import type { Graph, Position } from "../api/types";

export interface Size {
  width: number;
  height: number;
}

/** A module's box before the browser has measured it: `.module-node` is 220 px wide and at most 80 px tall
 *  (canvas.css). Set Up Web Service places nodes with the same box (experiments/placement.py). */
export const NODE_SIZE: Size = { width: 220, height: 80 };
export const nominalSize = (): Size => NODE_SIZE;

export interface Box extends Position, Size {}

export function boxOf(position: Position, size: Size): Box {
  return { x: position.x, y: position.y, width: size.width, height: size.height };
}

/** Whether two boxes overlap, or come closer than `margin`. */
export function intersects(a: Box, b: Box, margin = 0): boolean {
  return a.x < b.x + b.width + margin && b.x < a.x + a.width + margin
    && a.y < b.y + b.height + margin && b.y < a.y + a.height + margin;
}

/** Pairs of nodes whose boxes intersect: what a readable canvas never has. */
export function overlaps(graph: Graph, sizeOf: (id: string) => Size = nominalSize): [string, string][] {
  const boxes = graph.nodes.map((node) => [node.id, boxOf(node.position, sizeOf(node.id))] as const);
  return boxes.flatMap(([a, boxA], index) => boxes.slice(index + 1)
    .filter(([, boxB]) => intersects(boxA, boxB)).map(([b]): [string, string] => [a, b]));
}

const PASTE_STEP = 30;
const PASTE_MARGIN = 10;

/** The first diagonal offset (30 px steps, as editors offset a paste) at which none of `moving` touches any of
 *  `fixed`: pasted copies never land on the originals or on anything else. */
export function freeOffset(fixed: Box[], moving: Box[]): Position {
  for (let step = 1; step < 1000; step += 1) {
    const d = step * PASTE_STEP;
    const clear = moving.every((box) => fixed.every((other) => !intersects({ ...box, x: box.x + d, y: box.y + d },
                                                                          other, PASTE_MARGIN)));
    if (clear) return { x: d, y: d };
  }
  return { x: 0, y: 0 };
}

/** Where a module added at `wanted` (its top left corner) goes: there if the spot is clear, else the first free
 *  diagonal step from it, so a module added from the palette by keyboard never lands on another. */
export function freeSpot(graph: Graph, wanted: Position, sizeOf: (id: string) => Size = nominalSize): Position {
  const fixed = graph.nodes.map((node) => boxOf(node.position, sizeOf(node.id)));
  const box = boxOf(wanted, NODE_SIZE);
  if (fixed.every((other) => !intersects(box, other, PASTE_MARGIN))) return wanted;
  const offset = freeOffset(fixed, [box]);
  return { x: wanted.x + offset.x, y: wanted.y + offset.y };
}

/** Top-down positions for every node, spaced by the nodes' real sizes (measured on the page when known). */
export function layoutPositions(graph: Graph, sizeOf: (id: string) => Size = nominalSize): Map<string, Position> {
  const layout = new dagre.graphlib.Graph();
  layout.setGraph({ rankdir: "TB", nodesep: 40, ranksep: 60 });
  layout.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) layout.setNode(node.id, { ...sizeOf(node.id) });
  for (const edge of graph.edges) layout.setEdge(edge.source, edge.target);
  dagre.layout(layout);
  return new Map(
    graph.nodes.map((node) => {
      const placed = layout.node(node.id);
      const { width, height } = sizeOf(node.id);
      return [node.id, { x: Math.round(placed.x - width / 2), y: Math.round(placed.y - height / 2) }];
    }),
  );
}
