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

/** The edge feeding the dataset input a column parameter selects from: its `x-input-port`, else the first. */
export function tableInput(graph: Graph, nodeId: string, modules: Modules, input?: string): { port: string | null; edge?: GraphEdge } {
  const port = input ?? moduleOf(graph, nodeId, modules)?.inputs.find((p) => p.type === "DataTable")?.name ?? null;
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
                             problems: Problem[], input?: string): Availability {
  const { port, edge } = tableInput(graph, nodeId, modules, input);
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

/** Where the shown run's output for a node's dataset input can be read, when that input's producer finished. */
function runOutput(graph: Graph, nodeId: string, modules: Modules, run: RunState, input: string): string | null {
  const edge = tableInput(graph, nodeId, modules, input).edge;
  const ran = edge !== undefined && ["finished", "cached"].includes(run.nodes[edge.source]?.status ?? "");
  return ran && run.run !== null ? `/api/runs/${run.run}/nodes/${edge.source}/outputs/${edge.source_port}/?limit=0` : null;
}

/** For the selected node, the columns reaching each dataset input (undefined: the first): inferred, else from the
 *  shown run's output where inference knows nothing. */
export function useColumns(graph: Graph, nodeId: string | null, modules: Modules, schemas: Schemas | null,
                           problems: Problem[], run: RunState, dirty: boolean): (input?: string) => Availability | null {
  const inputs = nodeId === null ? [] : (moduleOf(graph, nodeId, modules)?.inputs ?? []).filter((p) => p.type === "DataTable");
  const inferred = new Map(inputs.map((p) => [p.name, availability(graph, nodeId ?? "", modules, schemas, problems, p.name)]));
  const urls = inputs.flatMap((p) => {
    const url = inferred.get(p.name)?.columns === null ? runOutput(graph, nodeId ?? "", modules, run, p.name) : null;
    return url === null ? [] : [url];
  });
  const wanted = urls.join(" ");
  const [fetched, setFetched] = useState<Record<string, SelectorColumn[]>>({});
  useEffect(() => {
    let live = true;
    for (const url of wanted ? wanted.split(" ") : []) {
      getJSON<TableColumns>(url).then((view) => live && setFetched((before) => ({ ...before, [url]: view.columns })),
                                      () => undefined);
    }
    return () => { live = false; };
  }, [wanted]);
  return (input?: string) => {
    const port = input ?? inputs[0]?.name;
    if (nodeId === null || port === undefined) return null;
    const known = inferred.get(port) ?? availability(graph, nodeId, modules, schemas, problems, port);
    const url = known.columns === null ? runOutput(graph, nodeId, modules, run, port) : null;
    const edge = tableInput(graph, nodeId, modules, port).edge;
    if (url !== null && fetched[url] !== undefined && edge !== undefined) {
      return { columns: fetched[url], from: `from ${nodeName(graph, edge.source, modules)} in run ${run.run}` };
    }
    if (dirty && known.columns === null) {  // the schemas describe the last save, not edits made since
      return { columns: null, reason: "Finding the columns of your latest changes (they are being saved)…" };
    }
    return known;
  };
}
