// The experiment canvas: palette, React Flow graph, toolbar and properties pane over one store.
import {
  Background,
  ControlButton,
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
import { DRAG_TYPE, Palette, savedItem, withCaptions, type SavedGroup } from "../palette/Palette";
import { Visualization } from "../visualize/Visualization";
import { SetUpSummary, type SetUpResult } from "../webservice/SetUp";
import { nodeName, useColumns, useSchemas } from "../properties/columns";
import { OutputLog } from "../properties/OutputLog";
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
import { useAutosave } from "./autosave";
import { nodeCaption, type SavedNames } from "./caption";
import { portHints, type Connecting } from "./connecting";
import { ContextMenu } from "./ContextMenu";
import { fitOptions, useOverview } from "./overview";
import { freeSpot, layoutPositions, NODE_SIZE, type Size } from "./layout";
import { nodeMenu, portMenu, type MenuActions, type MenuTarget } from "./menus";
import { ModuleNode, type ModuleNodeProps } from "./ModuleNode";
import { NodeActionsContext } from "./nodeActions";
import { Toolbar } from "./Toolbar";
import { Workbench } from "./Workbench";

const nodeTypes = { module: ModuleNode };
/** The overview's modules take the colour of their status badge, so a failed one stands out there too. */
const MINIMAP_COLORS: Record<string, string> = { finished: "#86efac", cached: "#86efac", running: "#93c5fd",
                                                 queued: "#bfdbfe", failed: "#fca5a5", skipped: "#e4e7ec" };

/** React Flow's nodes for the graph, reusing the previous objects (selection, measured size) by id. */
/** What nodes show besides the graph: the saved objects' names (captions) and the connection being dragged. */
interface NodeView {
  saved: SavedNames;
  connecting: Connecting | null;
}

function flowNodes(graph: Graph, modules: Map<string, ModuleSpec>, run: RunState, problems: Problem[],
                   previous: Node<ModuleNodeProps>[],
                   view: NodeView = { saved: new Map(), connecting: null }): Node<ModuleNodeProps>[] {
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
        ...nodeCaption(node, spec, view.saved),
        portHints: portHints(graph, modules, view.connecting, node.id, spec),
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

interface Loaded {
  experiment: Experiment;
  modules: ModuleSpec[];
  datasets: DatasetSummary[];
  assets: AssetSummary[];
}

/** The palette's saved sections, in the classic studio's order. */
function savedGroups({ datasets, assets, modules }: Loaded): SavedGroup[] {
  const moduleName = (id: string) => modules.find((m) => m.id === id)?.name ?? id;
  const of = (kind: AssetSummary["kind"]) => withCaptions(assets.filter((a) => a.kind === kind).map((a) => ({
    id: a.id, name: a.name,
    title: `${a.summary.learner ? `${a.summary.learner}, label ${a.summary.label ?? "—"}` : moduleName(a.summary.transform ?? "")}`
      + `, saved ${a.created.slice(0, 16).replace("T", " ")} UTC`,
  })));
  return [
    { title: "Saved Datasets", reference: "dataset",
      items: withCaptions(datasets.map((d) => ({ id: d.id, name: d.name,
                                                 title: `${d.rows} rows, ${d.columns.length} columns` }))) },
    { title: "Trained Models", reference: "trained_model", items: of("trained_model") },
    { title: "Transforms", reference: "transform", items: of("transform") },
  ];
}

/** The saved objects by "reference:id", for the nodes that read them (their captions). */
function savedNamesOf(groups: SavedGroup[]): SavedNames {
  return new Map(groups.flatMap((group) => group.items.map((item) => [`${group.reference}:${item.id}`,
                                                                      { name: item.name, detail: item.title }])));
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
  const savedNames = useMemo(() => savedNamesOf(savedObjects), [savedObjects]);
  const refreshSaved = async () => {
    const [datasets, assets] = await Promise.all([getJSON<DatasetSummary[]>("/api/datasets/"),
                                                  getJSON<AssetSummary[]>("/api/assets/")]);
    setLoaded((before) => ({ ...before, datasets, assets }));
  };
  const modules = useMemo(() => new Map(loaded.modules.map((m) => [m.id, m])), [loaded.modules]);
  const [history, setHistory] = useState<History>(() => historyOf(experiment.graph));
  const [problems, setProblems] = useState<Problem[]>(experiment.validation);
  const [message, setMessage] = useState("");
  const [selectedEdges, setSelectedEdges] = useState<ReadonlySet<string>>(new Set());
  const [run, setRun] = useLiveRun(experiment.id, experiment.last_run);
  const [logNode, setLogNode] = useState<string | null>(null);
  const [runBlocked, setRunBlocked] = useState(false);
  // React Flow's view of the nodes: rebuilt from the graph, keeping selection and in-flight drags local.
  const [nodes, setNodes] = useState<Node<ModuleNodeProps>[]>(
    () => flowNodes(experiment.graph, modules, idle, experiment.validation, []));
  const selectedNodes = useMemo(() => new Set(nodes.filter((n) => n.selected).map((n) => n.id)), [nodes]);
  const clipboard = useRef<Graph | null>(null);
  const selectNext = useRef<ReadonlySet<string> | null>(null);  // e.g. pasted copies, selected once they are drawn
  const [connecting, setConnecting] = useState<Connecting | null>(null);
  const [menu, setMenu] = useState<MenuTarget | null>(null);
  const flow = useReactFlow();
  const graph = history.present;
  const apply = useCallback((edit: (graph: Graph) => Graph) => setHistory((h) => commit(h, edit(h.present))), []);
  /** A node's size as drawn (measured by React Flow), for layout and paste; the nominal box until then. */
  const sizeOf = useCallback((id: string): Size => {
    const measured = flow.getNode(id)?.measured;
    return measured?.width && measured.height ? { width: measured.width, height: measured.height } : NODE_SIZE;
  }, [flow]);

  useEffect(() => {
    const select = selectNext.current;
    selectNext.current = null;
    setNodes((before) => {
      const next = flowNodes(graph, modules, run, problems, before, { saved: savedNames, connecting });
      return select === null ? next : next.map((node) => ({ ...node, selected: select.has(node.id) }));
    });
  }, [graph, modules, run, problems, savedNames, connecting]);
  const edges: Edge[] = graph.edges.map((edge) => ({
    id: edgeKey(edge), source: edge.source, target: edge.target, sourceHandle: edge.source_port,
    targetHandle: edge.target_port, selected: selectedEdges.has(edgeKey(edge)),
  }));

  // Deleting reaches the graph through onDelete, nodes and their edges in one edit (one undo step).
  const onNodesChange = (changes: NodeChange<Node<ModuleNodeProps>>[]) => {
    setNodes((current) => applyNodeChanges(changes.filter((c) => c.type !== "remove"), current));
  };
  const onEdgesChange = (changes: EdgeChange[]) => {
    const picks = changes.flatMap((c) => (c.type === "select" ? [c] : []));
    if (picks.length) {
      setSelectedEdges((before) => {
        const after = new Set(before);
        for (const pick of picks) if (pick.selected) after.add(pick.id); else after.delete(pick.id);
        return after;
      });
    }
  };

  // Every edit is saved a moment after it is made, and before the page is left (canvas/autosave.ts);
  // Ctrl+S, Run, Set Up and Deploy save at once.
  const { status: saveStatus, saveNow: save, saved: lastSaved } = useAutosave({
    url: `/api/experiments/${experiment.id}/`, graph, initial: experiment.graph,
    onSaved: (body) => {
      setProblems(body.validation);
      // The save state beside the message already says "Saved"; the message only speaks of problems.
      const count = body.validation.length;
      setMessage(count ? `${count} ${count === 1 ? "problem" : "problems"} to fix before running` : "");
    },
    onFailed: (reason) => setMessage(`Not saved: ${reason}`),
  });
  const { schemas, refresh: refreshSchemas } = useSchemas(experiment.id, lastSaved);
  const removeNodes = (nodeIds: ReadonlySet<string>, edgeIds: ReadonlySet<string> = new Set()) => {
    apply((g) => removeItems(g, nodeIds, edgeIds));
    setSelectedEdges(new Set());
  };
  const paste = (copied: Graph) => {
    const { graph: next, pasted } = pasteNodes(graph, copied, sizeOf);
    selectNext.current = new Set(pasted);
    setSelectedEdges(new Set());
    apply(() => next);
  };
  const [overview, toggleOverview] = useOverview();
  const autoLayout = () => {
    apply((g) => moveNodes(g, layoutPositions(g, sizeOf)));
    window.requestAnimationFrame(() => void flow.fitView({ ...fitOptions(overview), duration: 0 }));
  };

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
      setMessage("");  // the status line shows "Run N: queued" and follows the run from there
      getJSON<Run>(`/api/runs/${runId}/`).then((r) => setRun((before) => mergeRun(before, r)), () => undefined);
    } catch (error) {
      const problems = error instanceof ApiError ? (error.body as { errors?: Problem[] } | null)?.errors : undefined;
      if (problems) setProblems(problems);
      const first = problems?.find((p) => p.node !== undefined)?.node;
      if (problems?.length) {
        setRunBlocked(true);
        setMessage(`Run blocked: ${problems.length} ${problems.length === 1 ? "problem" : "problems"} to fix first`);
      } else {
        setMessage(error instanceof Error ? error.message : String(error));
      }
      if (first !== undefined) selectNode(first);
    }
  };
  /** Select one module (or none) as a click would, and bring it into view. */
  const selectNode = (nodeId: string | null) => {
    setNodes((current) => current.map((n) => (n.selected === (n.id === nodeId) ? n : { ...n, selected: n.id === nodeId })));
    if (nodeId !== null) window.requestAnimationFrame(() => void flow.fitView({ nodes: [{ id: nodeId }], maxZoom: 1, duration: 200 }));
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
    const at = flow.screenToFlowPosition(centre);
    addAt(moduleId, freeSpot(graph, { x: at.x - NODE_SIZE.width / 2, y: at.y - NODE_SIZE.height / 2 }, sizeOf));
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
      else if (key === "v" && clipboard.current) paste(clipboard.current);
      else return;
      event.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const saveOutput = async (nodeId: string, port: string, name: string): Promise<string> => {
    if (run.run === null) throw new Error("Run the experiment first");
    const made = await sendJSON<{ kind: string; id: number; name: string }>(
      `/api/runs/${run.run}/nodes/${nodeId}/outputs/${port}/save/`, "POST", { name });
    await refreshSaved();
    return `saved as “${made.name}”`;
  };
  /** Right-click (or Shift+F10) on a node or an output port: the node joins the selection if it was not in it. */
  const openMenu = (node: string, port: string | null, x: number, y: number) => {
    if (!selectedNodes.has(node)) setNodes((all) => all.map((n) => ({ ...n, selected: n.id === node })));
    setMenu({ node, port, x, y });
  };
  const menuActions = (nodeId: string): MenuActions => {
    const node = graph.nodes.find((n) => n.id === nodeId);
    const spec = modules.get(node?.module ?? "");
    const chosen = selectedNodes.has(nodeId) ? selectedNodes : new Set([nodeId]);
    return {
      outputs: spec?.outputs ?? [], finished: finishedOutputs(run, nodeId, modules, graph), selected: chosen.size,
      visualize: (port) => setVisualized({ node: nodeId, port }),
      saveAs: (port, what) => {
        const name = window.prompt(`Save as ${what}: name`, `${experiment.name} [${spec?.name ?? what}]`);
        if (name?.trim()) {
          saveOutput(nodeId, port, name.trim()).then((done) => setMessage(`Save as ${what} — ${done}`),
                                                      (error: unknown) => setMessage(String(error)));
        }
      },
      runSelected: () => void runAll([...chosen]),
      copy: () => { clipboard.current = selection(graph, chosen); },
      remove: () => removeNodes(chosen),
      editComment: () => {
        const comment = window.prompt(`Comment on ${spec?.name ?? "the module"}`, node?.comment ?? "");
        if (comment !== null) apply((g) => setComment(g, nodeId, comment));
      },
    };
  };
  const captionOf = (nodeId: string) => nodes.find((n) => n.id === nodeId)?.data;
  /** A node as a person would point at it: its caption and what feeds it ("Train Model (label: y) ← Two-Class
   *  Logistic Regression"), so two nodes of one module can be told apart without their ids. */
  const describeNode = (nodeId: string) => {
    const name = (id: string) => captionOf(id)?.title ?? id;
    const data = captionOf(nodeId);
    const fedBy = graph.edges.filter((e) => e.target === nodeId).map((e) => name(e.source));
    return `${name(nodeId)}${data?.summary ? ` (${data.summary})` : ""}${fedBy.length ? ` ← ${fedBy.join(", ")}` : ""}`;
  };

  const selectedNode = selectedNodes.size === 1 ? graph.nodes.find((n) => selectedNodes.has(n.id)) ?? null : null;
  const columns = useColumns(graph, selectedNode?.id ?? null, modules, schemas, problems, run, lastSaved !== graph);
  const dirty = lastSaved !== graph;
  const workerWarning = useWorkerWarning(run.status, run.run);
  return (
    <div className="atelier-canvas" data-testid="canvas">
      <Toolbar
        experiment={experiment} run={run} saveStatus={saveStatus} message={message} warning={workerWarning}
        canUndo={history.past.length > 0} canRedo={history.future.length > 0} canRunSelected={selectedNodes.size > 0}
        save={save} onSaveAs={() => void saveAs()} onRun={() => void runAll()}
        onRunSelected={() => void runAll([...selectedNodes])} onCancel={() => void cancel()}
        onUndo={() => setHistory(undo)} onRedo={() => setHistory(redo)} onLayout={autoLayout}
        onSetUp={onSetUp} onMessage={setMessage} describeNode={describeNode}
        onOpenRun={(runId) => getJSON<Run>(`/api/runs/${runId}/`).then((r) => setRun(fromRun(r)), () => undefined)} />
      <Workbench overlay={visualized && run.run !== null ? (
        <Visualization url={`/api/runs/${run.run}/nodes/${visualized.node}/outputs/${visualized.port}/`}
                       title={`${captionOf(visualized.node)?.title ?? ""} · ${
                         captionOf(visualized.node)?.outputs.find((p) => p.name === visualized.port)?.label ?? visualized.port}`}
                       onClose={() => setVisualized(null)} />
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
          onKeyDown={(event) => {
            const node = event.target instanceof Element ? event.target.closest(".react-flow__node") : null;
            const id = node?.getAttribute("data-id");
            if (!node || !id || !(event.key === "ContextMenu" || (event.shiftKey && event.key === "F10"))) return;
            event.preventDefault();
            const box = node.getBoundingClientRect();
            openMenu(id, null, box.left + 12, box.bottom + 4);
          }}
        >
          <NodeActionsContext.Provider value={{ openLog: setLogNode }}>
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onDelete={({ nodes: gone, edges: cut }) => removeNodes(new Set(gone.map((n) => n.id)),
                                                                  new Set(cut.map((e) => e.id)))}
            onNodeContextMenu={(event, node) => {
              event.preventDefault();
              const port = event.target instanceof Element ? event.target.closest(".react-flow__handle.source") : null;
              openMenu(node.id, port?.getAttribute("data-handleid") ?? null, event.clientX, event.clientY);
            }}
            onMoveStart={() => setMenu(null)}
            onConnectStart={(_, { nodeId, handleId, handleType }) => nodeId && handleId
              && setConnecting({ node: nodeId, port: handleId, from: handleType ?? "source" })}
            onConnectEnd={() => setConnecting(null)}
            onNodeDragStop={(_, __, dragged) => apply((g) => moveNodes(g, new Map(dragged.map((n) => [n.id, n.position]))))}
            onConnect={(connection) => apply((g) => connect(g, modules, toEdge(connection)))}
            isValidConnection={(connection) => checkConnection(graph, modules, toEdge(connection as Connection)).ok}
            deleteKeyCode={["Delete", "Backspace"]}
            fitView={experiment.graph.nodes.length > 0}
            fitViewOptions={fitOptions(overview)}
            proOptions={{ hideAttribution: true }}
          >
            <Background />
            <Controls>
              <ControlButton onClick={toggleOverview} data-testid="overview-toggle" aria-pressed={overview}
                             title={overview ? "Hide the overview" : "Show the overview"}
                             aria-label={overview ? "Hide the overview" : "Show the overview"}>▣</ControlButton>
            </Controls>
            {overview && <MiniMap pannable zoomable ariaLabel="Overview: click or drag to move the view" maskColor="rgba(15, 23, 42, 0.12)"
                     maskStrokeColor="#2563eb" maskStrokeWidth={2}
                     nodeColor={(n) => MINIMAP_COLORS[(n.data as ModuleNodeProps).state?.status ?? "idle"] ?? "#cbd5e1"}
                     onClick={(_, at) => flow.setCenter(at.x, at.y, { zoom: flow.getZoom(), duration: 150 })} />}
          </ReactFlow>
          </NodeActionsContext.Provider>
        </div>
        <Properties
          node={selectedNode}
          module={selectedNode ? modules.get(selectedNode.module) ?? null : null}
          problems={problems}
          saved={savedObjects}
          outputs={selectedNode ? finishedOutputs(run, selectedNode.id, modules, graph) : []}
          onChange={(params) => selectedNode && apply((g) => setParams(g, selectedNode.id, params))}
          onComment={(comment) => selectedNode && apply((g) => setComment(g, selectedNode.id, comment))}
          columns={columns}
          prepareColumns={async () => { if (dirty && await save()) await refreshSchemas(graph); }}
          state={selectedNode ? run.nodes[selectedNode.id] ?? null : null}
          onOpenLog={() => selectedNode && setLogNode(selectedNode.id)}
          nodeName={(nodeId) => nodeName(graph, nodeId, modules)}
          onSelectNode={selectNode}
          blocked={runBlocked && problems.length > 0}
          empty={graph.nodes.length === 0}
          onVisualize={(port) => selectedNode && setVisualized({ node: selectedNode.id, port })}
          webParameters={graph.web_service_parameters ?? []}
          onExpose={(parameter, name) => selectedNode && apply((g) => setWebParameter(
            g, selectedNode.id, parameter, name,
            selectedNode.params[parameter] ?? modules.get(selectedNode.module)?.parameters.properties[parameter]?.default ?? null))}
          onSaveOutput={(port, name) => (selectedNode ? saveOutput(selectedNode.id, port, name)
                                                      : Promise.reject(new Error("Choose a module")))}
        />
      </Workbench>
      {logNode !== null && run.run !== null && run.nodes[logNode] ? (
        <OutputLog runId={run.run} nodeId={logNode} title={nodeName(graph, logNode, modules)} onClose={() => setLogNode(null)} />
      ) : null}
      {menu ? (
        <ContextMenu x={menu.x} y={menu.y} onClose={() => setMenu(null)}
                     label={menu.port ? `Output ${menu.port}` : `${captionOf(menu.node)?.title ?? "Module"} menu`}
                     items={menu.port ? portMenu(menu.node, menu.port, menuActions(menu.node))
                       : nodeMenu(menu.node, menuActions(menu.node))} />
      ) : null}
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
