// The experiment canvas: palette, React Flow graph, toolbar and properties pane over one store.
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  applyNodeChanges,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { ApiError, getJSON, sendJSON } from "../api/client";
import type { AssetSummary, DatasetSummary, Experiment, Graph, ModuleSpec, Problem, Run } from "../api/types";
import { fromRun, idle, mergeRun, useLiveRun, type RunState } from "../live";
import { useWorkerWarning } from "./health";
import { DRAG_TYPE, Palette, savedItem, type SavedGroup } from "../palette/Palette";
import { Visualization } from "../visualize/Visualization";
import { SetUpSummary, type SetUpResult } from "../webservice/SetUp";
import type { UpstreamColumn } from "../properties/ColumnSelector";
import { Properties } from "../properties/Properties";
import {
  addNode,
  checkConnection,
  commit,
  connect,
  edgeKey,
  historyOf,
  moveNodes,
  pasteNodes,
  redo,
  removeItems,
  selection,
  setComment,
  setParams,
  setWebParameter,
  undo,
  type History,
} from "../store";
import { layoutPositions } from "./layout";
import { ModuleNode, type ModuleNodeProps } from "./ModuleNode";
import { Toolbar } from "./Toolbar";
import { Workbench } from "./Workbench";

const nodeTypes = { module: ModuleNode };

/** React Flow's nodes for the graph, reusing the previous objects (selection, measured size) by id. */
function flowNodes(graph: Graph, modules: Map<string, ModuleSpec>, run: RunState, problems: Problem[],
                   previous: Node<ModuleNodeProps>[]): Node<ModuleNodeProps>[] {
  const before = new Map(previous.map((node) => [node.id, node]));
  return graph.nodes.map((node) => {
    const spec = modules.get(node.module);
    return {
      ...before.get(node.id),
      id: node.id,
      type: "module",
      position: node.position,
      data: {
        label: spec?.name ?? node.module, module: node.module, comment: node.comment,
        inputs: spec?.inputs ?? [], outputs: spec?.outputs ?? [], state: run.nodes[node.id] ?? null,
        problem: problems.find((p) => p.node === node.id)?.message ?? null,
      },
    };
  });
}

function toEdge(connection: Connection) {
  return { source: connection.source, source_port: connection.sourceHandle ?? "", target: connection.target,
           target_port: connection.targetHandle ?? "" };
}

/** Output ports of a node that finished (or was cached) in the live run: those can be visualized. */
function finishedOutputs(run: RunState, nodeId: string, modules: Map<string, ModuleSpec>, graph: Graph): string[] {
  const state = run.nodes[nodeId];
  if (state === undefined || (state.status !== "finished" && state.status !== "cached")) return [];
  const module = graph.nodes.find((n) => n.id === nodeId)?.module;
  return modules.get(module ?? "")?.outputs.map((port) => port.name) ?? [];
}

interface TableColumns {
  columns: UpstreamColumn[];
}

type Schemas = Record<string, Record<string, UpstreamColumn[]>>;

/** The columns reaching a node's first table input: from the last run's output, else inferred by the server
 *  from the saved graph (GET /api/experiments/{id}/schemas/). */
async function upstreamColumns(graph: Graph, nodeId: string, modules: Map<string, ModuleSpec>,
                               run: RunState, inferred: () => Promise<Schemas>): Promise<UpstreamColumn[]> {
  const module = modules.get(graph.nodes.find((n) => n.id === nodeId)?.module ?? "");
  const port = module?.inputs.find((p) => p.type === "DataTable")?.name;
  const edge = graph.edges.find((e) => e.target === nodeId && e.target_port === port);
  if (edge === undefined) throw new Error("Connect the module's dataset input first");
  const source = graph.nodes.find((n) => n.id === edge.source);
  const state = run.nodes[edge.source]?.status;
  if (run.run !== null && (state === "finished" || state === "cached")) {
    const view = await getJSON<TableColumns>(`/api/runs/${run.run}/nodes/${edge.source}/outputs/${edge.source_port}/?limit=0`);
    return view.columns;
  }
  const known = (await inferred())[edge.source]?.[edge.source_port];
  if (known !== undefined) return known;
  throw new Error(`Run the experiment to see the columns that reach this module (from ${source?.module ?? "?"})`);
}

interface Loaded {
  experiment: Experiment;
  modules: ModuleSpec[];
  datasets: DatasetSummary[];
  assets: AssetSummary[];
}

/** The palette's saved sections, in the classic studio's order. */
function savedGroups({ datasets, assets }: Loaded): SavedGroup[] {
  const of = (kind: AssetSummary["kind"]) => assets.filter((a) => a.kind === kind).map((a) => ({
    id: a.id, name: a.name,
    title: a.summary.learner ? `${a.summary.learner}, label ${a.summary.label ?? "—"}` : a.summary.transform ?? "",
  }));
  return [
    { title: "Saved Datasets", reference: "dataset",
      items: datasets.map((d) => ({ id: d.id, name: d.name, title: `${d.rows} rows, ${d.columns.length} columns` })) },
    { title: "Trained Models", reference: "trained_model", items: of("trained_model") },
    { title: "Transforms", reference: "transform", items: of("transform") },
  ];
}

/** The module that brings a saved object of this kind onto the canvas, and its parameter. */
function sourceModule(modules: ModuleSpec[], reference: string): { module: string; param: string } | null {
  for (const module of modules) {
    const param = Object.entries(module.parameters.properties).find(([, p]) => p["x-reference"] === reference);
    if (param) return { module: module.id, param: param[0] };
  }
  return null;
}

function Editor({ loaded: initial, onSetUp }: { loaded: Loaded; onSetUp: (result: SetUpResult) => void }) {
  const [loaded, setLoaded] = useState(initial);
  const { experiment } = loaded;
  const savedObjects = useMemo(() => savedGroups(loaded), [loaded]);
  const refreshSaved = async () => {
    const [datasets, assets] = await Promise.all([getJSON<DatasetSummary[]>("/api/datasets/"),
                                                  getJSON<AssetSummary[]>("/api/assets/")]);
    setLoaded((before) => ({ ...before, datasets, assets }));
  };
  const modules = useMemo(() => new Map(loaded.modules.map((m) => [m.id, m])), [loaded.modules]);
  const [history, setHistory] = useState<History>(() => historyOf(experiment.graph));
  const [saved, setSaved] = useState<Graph>(experiment.graph);
  const [problems, setProblems] = useState<Problem[]>(experiment.validation);
  const [message, setMessage] = useState("");
  const [selectedEdges, setSelectedEdges] = useState<ReadonlySet<string>>(new Set());
  const [run, setRun] = useLiveRun(experiment.id, experiment.last_run);
  // React Flow's view of the nodes: rebuilt from the graph, keeping selection and in-flight drags local.
  const [nodes, setNodes] = useState<Node<ModuleNodeProps>[]>(
    () => flowNodes(experiment.graph, modules, idle, experiment.validation, []));
  const selectedNodes = useMemo(() => new Set(nodes.filter((n) => n.selected).map((n) => n.id)), [nodes]);
  const clipboard = useRef<Graph | null>(null);
  const flow = useReactFlow();
  const graph = history.present;
  const apply = useCallback((edit: (graph: Graph) => Graph) => setHistory((h) => commit(h, edit(h.present))), []);

  useEffect(() => setNodes((before) => flowNodes(graph, modules, run, problems, before)),
            [graph, modules, run, problems]);
  const edges: Edge[] = graph.edges.map((edge) => ({
    id: edgeKey(edge), source: edge.source, target: edge.target, sourceHandle: edge.source_port,
    targetHandle: edge.target_port, selected: selectedEdges.has(edgeKey(edge)),
  }));

  const onNodesChange = (changes: NodeChange<Node<ModuleNodeProps>>[]) => {
    const removed = new Set(changes.flatMap((c) => (c.type === "remove" ? [c.id] : [])));
    if (removed.size) apply((g) => removeItems(g, removed, new Set()));
    setNodes((current) => applyNodeChanges(changes.filter((c) => c.type !== "remove"), current));
  };
  const onEdgesChange = (changes: EdgeChange[]) => {
    const removed = new Set(changes.flatMap((c) => (c.type === "remove" ? [c.id] : [])));
    if (removed.size) apply((g) => removeItems(g, new Set(), removed));
    const picks = changes.flatMap((c) => (c.type === "select" ? [c] : []));
    if (picks.length) {
      setSelectedEdges((before) => {
        const after = new Set(before);
        for (const pick of picks) if (pick.selected) after.add(pick.id); else after.delete(pick.id);
        return after;
      });
    }
  };

  const save = useCallback(async (): Promise<boolean> => {
    try {
      const body = await sendJSON<Experiment>(`/api/experiments/${experiment.id}/`, "PATCH", { graph });
      setSaved(graph);
      setProblems(body.validation);
      setMessage(body.validation.length ? `${body.validation.length} problem(s) to fix before running` : "Saved");
      return true;
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
      return false;
    }
  }, [experiment.id, graph]);

  // Autosave: a quiet save two seconds after the last edit (Ctrl+S and Run save at once).
  useEffect(() => {
    if (saved === graph) return;
    const timer = window.setTimeout(() => void save(), 2000);
    return () => window.clearTimeout(timer);
  }, [graph, saved, save]);

  const saveAs = async () => {
    const name = window.prompt("Save a copy of this experiment as", `${experiment.name} (copy)`);
    if (!name || !(await save())) return;
    const copy = await sendJSON<Experiment>(`/api/experiments/${experiment.id}/save-as/`, "POST", { name });
    window.location.assign(`/experiments/${copy.id}/`);
  };

  const runAll = async (nodeIds: string[] = []) => {
    if (!(await save())) return;
    try {
      const body = nodeIds.length ? { nodes: nodeIds } : {};
      const { run: runId } = await sendJSON<{ run: number }>(`/api/experiments/${experiment.id}/run/`, "POST", body);
      // Events of this run may already have arrived on the WebSocket: keep them.
      setRun((before) => (before.run === runId ? before : { ...idle, run: runId, status: "queued" }));
      setMessage(`Run ${runId} queued`);
      getJSON<Run>(`/api/runs/${runId}/`).then((r) => setRun((before) => mergeRun(before, r)), () => undefined);
    } catch (error) {
      const problems = error instanceof ApiError ? (error.body as { errors?: Problem[] } | null)?.errors : undefined;
      if (problems) setProblems(problems);
      setMessage(error instanceof Error ? error.message : String(error));
    }
  };
  const cancel = async () => {
    if (run.run !== null) await sendJSON(`/api/runs/${run.run}/cancel/`, "POST").catch(() => undefined);
  };

  const [visualized, setVisualized] = useState<{ node: string; port: string } | null>(null);
  const addAt = (item: string, position: { x: number; y: number }) => {
    const saved = savedItem(item);
    if (saved === null) return apply((g) => addNode(g, item, position));
    const source = sourceModule(loaded.modules, saved.reference);
    if (source !== null) apply((g) => addNode(g, source.module, position, { [source.param]: saved.id }));
  };
  const addAtCentre = (moduleId: string) => {
    const box = document.querySelector(".atelier-canvas__flow")?.getBoundingClientRect();
    const centre = box ? { x: box.left + box.width / 2, y: box.top + box.height / 2 } : { x: 400, y: 300 };
    addAt(moduleId, flow.screenToFlowPosition(centre));
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const typing = event.target instanceof HTMLElement && event.target.closest("input, textarea, select");
      if (!(event.ctrlKey || event.metaKey) || typing) return;
      const key = event.key.toLowerCase();
      if (key === "z") setHistory((h) => (event.shiftKey ? redo(h) : undo(h)));
      else if (key === "y") setHistory(redo);
      else if (key === "s") void save();
      else if (key === "c") clipboard.current = selection(graph, selectedNodes);
      else if (key === "v" && clipboard.current) {
        const copied = clipboard.current;
        apply((g) => pasteNodes(g, copied));
      } else return;
      event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [apply, graph, save, selectedNodes]);

  const selectedNode = selectedNodes.size === 1 ? graph.nodes.find((n) => selectedNodes.has(n.id)) ?? null : null;
  const dirty = saved !== graph;
  const workerWarning = useWorkerWarning(run.status, run.run);
  return (
    <div className="atelier-canvas" data-testid="canvas">
      <Toolbar
        experiment={experiment} run={run} dirty={dirty} message={message} warning={workerWarning}
        canUndo={history.past.length > 0} canRedo={history.future.length > 0} canRunSelected={selectedNodes.size > 0}
        save={save} onSaveAs={() => void saveAs()} onRun={() => void runAll()}
        onRunSelected={() => void runAll([...selectedNodes])} onCancel={() => void cancel()}
        onUndo={() => setHistory(undo)} onRedo={() => setHistory(redo)}
        onLayout={() => {
          apply((g) => moveNodes(g, layoutPositions(g)));
          window.requestAnimationFrame(() => void flow.fitView({ maxZoom: 1, duration: 0 }));
        }}
        onSetUp={onSetUp} onMessage={setMessage}
        onOpenRun={(runId) => getJSON<Run>(`/api/runs/${runId}/`).then((r) => setRun(fromRun(r)), () => undefined)} />
      <Workbench overlay={visualized && run.run !== null ? (
        <Visualization url={`/api/runs/${run.run}/nodes/${visualized.node}/outputs/${visualized.port}/`}
                       title={`${visualized.node} · ${visualized.port}`} onClose={() => setVisualized(null)} />
      ) : null}>
        <Palette modules={loaded.modules} saved={savedObjects} onAdd={addAtCentre} />
        <div
          className="atelier-canvas__flow"
          onDragOver={(event) => {
            if (event.dataTransfer.types.includes(DRAG_TYPE)) event.preventDefault();
          }}
          onDrop={(event) => {
            const moduleId = event.dataTransfer.getData(DRAG_TYPE);
            if (!moduleId) return;
            event.preventDefault();
            addAt(moduleId, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
          }}
        >
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onNodeDragStop={(_, __, dragged) => apply((g) => moveNodes(g, new Map(dragged.map((n) => [n.id, n.position]))))}
            onConnect={(connection) => apply((g) => connect(g, modules, toEdge(connection)))}
            isValidConnection={(connection) => checkConnection(graph, modules, toEdge(connection as Connection)).ok}
            deleteKeyCode={["Delete", "Backspace"]}
            fitView={experiment.graph.nodes.length > 0}
            fitViewOptions={{ maxZoom: 1 }}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <Controls />
            <MiniMap pannable zoomable />
          </ReactFlow>
        </div>
        <Properties
          node={selectedNode}
          module={selectedNode ? modules.get(selectedNode.module) ?? null : null}
          problems={problems}
          saved={savedObjects}
          outputs={selectedNode ? finishedOutputs(run, selectedNode.id, modules, graph) : []}
          onChange={(params) => selectedNode && apply((g) => setParams(g, selectedNode.id, params))}
          onComment={(comment) => selectedNode && apply((g) => setComment(g, selectedNode.id, comment))}
          upstream={() => (selectedNode
            ? upstreamColumns(graph, selectedNode.id, modules, run, async () => {
              await save();
              return getJSON<Schemas>(`/api/experiments/${experiment.id}/schemas/`);
            })
            : Promise.resolve([]))}
          onVisualize={(port) => selectedNode && setVisualized({ node: selectedNode.id, port })}
          webParameters={graph.web_service_parameters ?? []}
          onExpose={(parameter, name) => selectedNode && apply((g) => setWebParameter(
            g, selectedNode.id, parameter, name,
            selectedNode.params[parameter] ?? modules.get(selectedNode.module)?.parameters.properties[parameter]?.default ?? null))}
          onSaveOutput={async (port, name) => {
            if (selectedNode === null || run.run === null) throw new Error("Run the experiment first");
            const made = await sendJSON<{ kind: string; id: number; name: string }>(
              `/api/runs/${run.run}/nodes/${selectedNode.id}/outputs/${port}/save/`, "POST", { name });
            await refreshSaved();
            return `saved as “${made.name}”`;
          }}
        />
      </Workbench>
    </div>
  );
}

/** The "Training experiment" / "Predictive experiment" tabs of a linked pair; switching keeps the page. */
function Tabs({ experiment, onSwitch }: { experiment: Experiment; onSwitch: (id: number) => void }) {
  const training = experiment.kind === "training" ? experiment.id : experiment.training_experiment;
  const predictive = experiment.kind === "predictive" ? experiment.id : experiment.predictive_experiment;
  if (training === null || predictive === null) return null;
  const tab = (id: number, label: string, testId: string) => (
    <button type="button" role="tab" aria-selected={experiment.id === id} data-testid={testId}
            className={experiment.id === id ? "tab tab--current" : "tab"} onClick={() => onSwitch(id)}>
      {label}
    </button>
  );
  return (
    <nav className="tabs" role="tablist" aria-label="Linked experiments">
      {tab(training, "Training experiment", "tab-training")}
      {tab(predictive, "Predictive experiment", "tab-predictive")}
    </nav>
  );
}

export function Canvas({ experimentId: initial }: { experimentId: number }) {
  const [experimentId, setExperimentId] = useState(initial);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState("");
  const [setUp, setSetUp] = useState<SetUpResult | null>(null);
  const [generation, setGeneration] = useState(0);
  const switchTo = (id: number) => {
    window.history.pushState({}, "", `/experiments/${id}/`);
    setLoaded(null);
    setExperimentId(id);
  };
  // Back and forward move between the tabs without a reload, as the tabs themselves do.
  useEffect(() => {
    const onPop = () => {
      const id = Number(/\/experiments\/(\d+)\//.exec(window.location.pathname)?.[1]);
      if (id) {
        setLoaded(null);
        setExperimentId(id);
      }
    };
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const onSetUp = (result: SetUpResult) => {
    setSetUp(result);
    if (result.experiment === experimentId) {
      setLoaded(null);
      setGeneration((n) => n + 1);  // reload this experiment: Set Up changed its graph
    } else {
      switchTo(result.experiment);
    }
  };
  useEffect(() => {
    Promise.all([getJSON<Experiment>(`/api/experiments/${experimentId}/`), getJSON<ModuleSpec[]>("/api/modules/"),
                 getJSON<DatasetSummary[]>("/api/datasets/"), getJSON<AssetSummary[]>("/api/assets/")])
      .then(([experiment, modules, datasets, assets]) => setLoaded({ experiment, modules, datasets, assets }))
      .catch((reason: unknown) => setError(reason instanceof Error ? reason.message : String(reason)));
  }, [experimentId, generation]);
  if (loaded === null) {
    return <div className="atelier-canvas" data-testid="canvas"><p data-testid="canvas-status">{error || "Loading…"}</p></div>;
  }
  return (
    <div className="canvas-with-tabs">
      <Tabs experiment={loaded.experiment} onSwitch={switchTo} />
      {setUp ? <SetUpSummary result={setUp} onClose={() => setSetUp(null)} /> : null}
      <ReactFlowProvider key={`${loaded.experiment.id}-${generation}`}>
        <Editor loaded={loaded} onSetUp={onSetUp} />
      </ReactFlowProvider>
    </div>
  );
}
