// The canvas's single source of truth: the experiment's graph JSON (SPEC §2), with undo and redo.
// Every edit is a pure function from one graph to the next; history keeps the graphs themselves.
import type { Graph, GraphEdge, GraphNode, ModuleSpec, Position } from "./api/types";
import { boxOf, freeOffset, nominalSize, type Size } from "./canvas/layout";

export interface History {
  past: Graph[];
  present: Graph;
  future: Graph[];
}

const HISTORY_LIMIT = 200;

export function historyOf(graph: Graph): History {
  return { past: [], present: graph, future: [] };
}

/** Apply an edit; a no-op edit (same graph back) leaves the history alone. */
export function commit(history: History, next: Graph): History {
  if (next === history.present) return history;
  return { past: [...history.past, history.present].slice(-HISTORY_LIMIT), present: next, future: [] };
}

export function undo(history: History): History {
  const previous = history.past.at(-1);
  if (previous === undefined) return history;
  return { past: history.past.slice(0, -1), present: previous, future: [history.present, ...history.future] };
}

export function redo(history: History): History {
  const next = history.future[0];
  if (next === undefined) return history;
  return { past: [...history.past, history.present], present: next, future: history.future.slice(1) };
}

export function newNodeId(graph: Graph): string {
  const taken = new Set(graph.nodes.map((node) => node.id));
  let index = graph.nodes.length + 1;
  while (taken.has(`n${index}`)) index += 1;
  return `n${index}`;
}

export function addNode(graph: Graph, module: string, position: Position, params: Record<string, unknown> = {}): Graph {
  const node: GraphNode = { id: newNodeId(graph), module, params, position, comment: "" };
  return { ...graph, nodes: [...graph.nodes, node] };
}

export function moveNodes(graph: Graph, moves: ReadonlyMap<string, Position>): Graph {
  if (moves.size === 0) return graph;
  return { ...graph, nodes: graph.nodes.map((node) => ({ ...node, position: moves.get(node.id) ?? node.position })) };
}

export function removeItems(graph: Graph, nodeIds: ReadonlySet<string>, edgeKeys: ReadonlySet<string>): Graph {
  if (nodeIds.size === 0 && edgeKeys.size === 0) return graph;
  const kept = (graph.web_service_parameters ?? []).filter((p) => !nodeIds.has(p.node));
  return {
    nodes: graph.nodes.filter((node) => !nodeIds.has(node.id)),
    edges: graph.edges.filter(
      (edge) => !nodeIds.has(edge.source) && !nodeIds.has(edge.target) && !edgeKeys.has(edgeKey(edge)),
    ),
    ...(kept.length ? { web_service_parameters: kept } : {}),
  };
}

/** Expose a node's parameter to web service calls under `name` (GlobalParameters), or stop exposing it. */
export function setWebParameter(graph: Graph, nodeId: string, parameter: string, name: string | null,
                                fallback: unknown): Graph {
  const others = (graph.web_service_parameters ?? []).filter((p) => !(p.node === nodeId && p.parameter === parameter));
  const next = name === null ? others : [...others, { name, node: nodeId, parameter, default: fallback }];
  const rest: Graph = { nodes: graph.nodes, edges: graph.edges };
  return next.length ? { ...rest, web_service_parameters: next } : rest;
}

export function setParams(graph: Graph, nodeId: string, params: Record<string, unknown>): Graph {
  return { ...graph, nodes: graph.nodes.map((node) => (node.id === nodeId ? { ...node, params } : node)) };
}

export function setComment(graph: Graph, nodeId: string, comment: string): Graph {
  return { ...graph, nodes: graph.nodes.map((node) => (node.id === nodeId ? { ...node, comment } : node)) };
}

export function edgeKey(edge: GraphEdge): string {
  return `${edge.source}:${edge.source_port}->${edge.target}:${edge.target_port}`;
}

export type ConnectionCheck = { ok: true } | { ok: false; reason: string };

/** Whether an edge may be added: both ports exist, their types match, and the input is free. */
export function checkConnection(
  graph: Graph,
  modules: ReadonlyMap<string, ModuleSpec>,
  edge: GraphEdge,
): ConnectionCheck {
  const source = graph.nodes.find((node) => node.id === edge.source);
  const target = graph.nodes.find((node) => node.id === edge.target);
  if (source === undefined || target === undefined) return { ok: false, reason: "Unknown node" };
  if (source.id === target.id) return { ok: false, reason: "A module can't feed itself" };
  const output = modules.get(source.module)?.outputs.find((port) => port.name === edge.source_port);
  const input = modules.get(target.module)?.inputs.find((port) => port.name === edge.target_port);
  if (output === undefined || input === undefined) return { ok: false, reason: "Unknown port" };
  if (output.type !== input.type && input.type !== "Any") {
    return { ok: false, reason: `A ${output.type} output can't go into a ${input.type} input` };
  }
  if (graph.edges.some((other) => other.target === edge.target && other.target_port === edge.target_port)) {
    return { ok: false, reason: `Input '${input.name}' is already connected` };
  }
  return { ok: true };
}

export function connect(graph: Graph, modules: ReadonlyMap<string, ModuleSpec>, edge: GraphEdge): Graph {
  return checkConnection(graph, modules, edge).ok ? { ...graph, edges: [...graph.edges, edge] } : graph;
}

/** Paste: copies of the copied nodes (new ids) with the edges between them, one undo step, moved diagonally
 *  until no copy touches a node already on the canvas. Returns the copies' ids, so the canvas selects them. */
export function pasteNodes(graph: Graph, copied: Graph, sizeOf: (id: string) => Size = nominalSize):
    { graph: Graph; pasted: string[] } {
  const offset = freeOffset(graph.nodes.map((n) => boxOf(n.position, sizeOf(n.id))),
                            copied.nodes.map((n) => boxOf(n.position, sizeOf(n.id))));
  let result = graph;
  const ids = new Map<string, string>();
  for (const node of copied.nodes) {
    const id = newNodeId(result);
    ids.set(node.id, id);
    const position = { x: node.position.x + offset.x, y: node.position.y + offset.y };
    result = { ...result, nodes: [...result.nodes, { ...node, id, position }] };
  }
  const edges = copied.edges.flatMap((edge) => {
    const source = ids.get(edge.source);
    const target = ids.get(edge.target);
    return source !== undefined && target !== undefined ? [{ ...edge, source, target }] : [];
  });
  return { graph: { ...result, edges: [...result.edges, ...edges] }, pasted: [...ids.values()] };
}

export function selection(graph: Graph, nodeIds: ReadonlySet<string>): Graph {
  return {
    nodes: graph.nodes.filter((node) => nodeIds.has(node.id)),
    edges: graph.edges.filter((edge) => nodeIds.has(edge.source) && nodeIds.has(edge.target)),
  };
}
