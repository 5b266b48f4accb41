// The experiment canvas: renders the experiment's graph with the module catalogue's ports.
import { Background, Controls, MiniMap, ReactFlow, type Edge, type Node } from "@xyflow/react";
import { useEffect, useMemo, useState } from "react";

import { getJSON } from "../api/client";
import type { Experiment, ModuleSpec } from "../api/types";
import { graphToFlow } from "./graph";
import { ModuleNode, type ModuleNodeProps } from "./ModuleNode";

const nodeTypes = { module: ModuleNode };

interface Loaded {
  experiment: Experiment | null;
  modules: Map<string, ModuleSpec>;
  status: string;
}

function useExperiment(experimentId: number): Loaded {
  const [loaded, setLoaded] = useState<Loaded>({ experiment: null, modules: new Map(), status: "Loading…" });
  useEffect(() => {
    let live = true;
    Promise.all([getJSON<Experiment>(`/api/experiments/${experimentId}/`), getJSON<ModuleSpec[]>("/api/modules/")])
      .then(([experiment, catalogue]) => {
        if (live) setLoaded({ experiment, modules: new Map(catalogue.map((m) => [m.id, m])), status: "" });
      })
      .catch((error: unknown) => {
        if (live) setLoaded((before) => ({ ...before, status: error instanceof Error ? error.message : String(error) }));
      });
    return () => {
      live = false;
    };
  }, [experimentId]);
  return loaded;
}

export function Canvas({ experimentId }: { experimentId: number }) {
  const { experiment, modules, status } = useExperiment(experimentId);
  const { nodes, edges } = useMemo(() => {
    if (experiment === null) return { nodes: [] as Node<ModuleNodeProps>[], edges: [] as Edge[] };
    const flow = graphToFlow(experiment.graph, modules);
    const typed = flow.nodes.map((node) => {
      const spec = modules.get(node.data.module);
      return { ...node, type: "module", data: { ...node.data, inputs: spec?.inputs ?? [], outputs: spec?.outputs ?? [] } };
    });
    return { nodes: typed, edges: flow.edges };
  }, [experiment, modules]);

  return (
    <div className="atelier-canvas" data-testid="canvas">
      <aside className="palette" data-testid="palette">
        <h2>Modules</h2>
        <p>{modules.size} modules in the catalogue.</p>
      </aside>
      <div className="atelier-canvas__flow">
        <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} fitView proOptions={{ hideAttribution: true }}>
          <Background />
          <Controls />
          <MiniMap />
        </ReactFlow>
        {status ? (
          <div className="atelier-canvas__status" data-testid="canvas-status" role="status">
            {status}
          </div>
        ) : null}
      </div>
    </div>
  );
}
