// The columns that reach a module's dataset input, for its column selector, before any run: the server infers
// every output it can from the saved graph (GET /api/experiments/{id}/schemas/, refetched after each save); only
// where inference gives nothing are the last run's outputs used. When neither knows, say why.
import { useCallback, useEffect, useRef, useState } from "react";

import { getJSON } from "../api/client";
import type { Graph, GraphEdge, ModuleSpec, Problem } from "../api/types";
import type { RunState } from "../live";
import type { SelectorColumn } from "./selection";

export type Schemas = Record<string, Record<string, SelectorColumn[]>>;

export type Availability =
  | { columns: SelectorColumn[]; from: string }
  | { columns: null; reason: string };

type Modules = Map<string, ModuleSpec>;

function moduleOf(graph: Graph, nodeId: string, modules: Modules): ModuleSpec | undefined {
  return modules.get(graph.nodes.find((n) => n.id === nodeId)?.module ?? "");
}

/** "Split Data (n3)": how a node is named to people. */
export function nodeName(graph: Graph, nodeId: string, modules: Modules): string {
  const node = graph.nodes.find((n) => n.id === nodeId);
  return `${modules.get(node?.module ?? "")?.name ?? node?.module ?? "?"} (${nodeId})`;
}

/** The edge feeding a node's first dataset input (the one its column parameters select from). */
export function tableInput(graph: Graph, nodeId: string, modules: Modules): { port: string | null; edge?: GraphEdge } {
  const port = moduleOf(graph, nodeId, modules)?.inputs.find((p) => p.type === "DataTable")?.name ?? null;
  return { port, edge: graph.edges.find((e) => e.target === nodeId && e.target_port === port) };
}

/** Why the columns of `nodeId`'s output are not known yet: the first cause found walking upstream. */
function whyUnknown(graph: Graph, nodeId: string, modules: Modules, schemas: Schemas, problems: Problem[],
                    seen: Set<string> = new Set()): string {
  const name = nodeName(graph, nodeId, modules);
  const problem = problems.find((p) => p.node === nodeId);
  if (problem) return `${name} has a problem to fix first: ${problem.message}`;
  seen.add(nodeId);
  for (const edge of graph.edges.filter((e) => e.target === nodeId && !seen.has(e.source))) {
    const port = moduleOf(graph, edge.source, modules)?.outputs.find((p) => p.name === edge.source_port);
    if (port?.type === "DataTable" && schemas[edge.source]?.[edge.source_port] === undefined) {
      return whyUnknown(graph, edge.source, modules, schemas, problems, seen);
    }
  }
  return `${name} makes its columns only when it runs, so they are known after a run: run it (select it, then ` +
    "Run selected) and open the selector again.";
}

/** The columns reaching `nodeId` as far as the saved graph tells (inference), or why they can't be known. */
export function availability(graph: Graph, nodeId: string, modules: Modules, schemas: Schemas | null,
                             problems: Problem[]): Availability {
  const { port, edge } = tableInput(graph, nodeId, modules);
  if (port === null) return { columns: null, reason: "This module has no dataset input." };
  if (edge === undefined) return { columns: null, reason: "Connect the module's dataset input first: the columns come from what is connected there." };
  if (schemas === null) return { columns: null, reason: "Finding the columns…" };
  const known = schemas[edge.source]?.[edge.source_port];
  if (known !== undefined) return { columns: known, from: `from ${nodeName(graph, edge.source, modules)}` };
  return { columns: null, reason: whyUnknown(graph, edge.source, modules, schemas, problems) };
}

interface TableColumns {
  columns: SelectorColumn[];
}

/** The server's inferred schemas of the saved graph (null while those of the latest save are on their way), and
 *  `refresh(graph)` to read them now, right after saving `graph`. */
export function useSchemas(experimentId: number, saved: Graph): { schemas: Schemas | null; refresh: (graph: Graph) => Promise<void> } {
  const [state, setState] = useState<{ graph: Graph; schemas: Schemas } | null>(null);
  const latest = useRef<Graph | null>(null);
  const refresh = useCallback(async (graph: Graph) => {
    latest.current = graph;
    const schemas = await getJSON<Schemas>(`/api/experiments/${experimentId}/schemas/`).catch(() => ({}));
    if (latest.current === graph) setState({ graph, schemas });  // an older answer never replaces a newer one
  }, [experimentId]);
  useEffect(() => { void refresh(saved); }, [refresh, saved]);
  return { schemas: state !== null && state.graph === saved ? state.schemas : null, refresh };
}

/** Availability for the selected node, falling back to the shown run's output where inference knows nothing. */
export function useColumns(graph: Graph, nodeId: string | null, modules: Modules, schemas: Schemas | null,
                           problems: Problem[], run: RunState, dirty: boolean): Availability | null {
  let inferred = nodeId === null ? null : availability(graph, nodeId, modules, schemas, problems);
  if (dirty && inferred?.columns === null) {  // the schemas describe the last save, not edits made since
    inferred = { columns: null, reason: "Finding the columns of your latest changes (they are being saved)…" };
  }
  const edge = nodeId === null ? undefined : tableInput(graph, nodeId, modules).edge;
  const ran = edge !== undefined && ["finished", "cached"].includes(run.nodes[edge.source]?.status ?? "");
  const url = inferred !== null && inferred.columns === null && ran && edge !== undefined && run.run !== null
    ? `/api/runs/${run.run}/nodes/${edge.source}/outputs/${edge.source_port}/?limit=0` : null;
  const [fetched, setFetched] = useState<{ url: string; columns: SelectorColumn[] } | null>(null);
  useEffect(() => {
    if (url === null) return;
    let live = true;
    getJSON<TableColumns>(url).then((view) => live && setFetched({ url, columns: view.columns }), () => undefined);
    return () => { live = false; };
  }, [url]);
  if (url !== null && fetched?.url === url && edge !== undefined) {
    return { columns: fetched.columns, from: `from ${nodeName(graph, edge.source, modules)} in run ${run.run}` };
  }
  return inferred;
}
