// A module on the canvas, classic-studio style: input ports on the top edge, output ports on the bottom,
// a status badge from the live run, and a flag when validation found a problem.
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { useContext } from "react";

import type { NodeState, PortSpec } from "../api/types";
import type { ModuleNodeData } from "./graph";
import { NodeActionsContext } from "./nodeActions";

export interface ModuleNodeProps extends ModuleNodeData {
  inputs: PortSpec[];
  outputs: PortSpec[];
  state: NodeState | null;
  problem: string | null;
}

function offset(index: number, count: number): string {
  return `${((index + 1) * 100) / (count + 1)}%`;
}

function Ports({ id, ports, kind }: { id: string; ports: PortSpec[]; kind: "in" | "out" }) {
  return ports.map((port, index) => (
    <Handle
      key={port.name}
      id={port.name}
      type={kind === "in" ? "target" : "source"}
      position={kind === "in" ? Position.Top : Position.Bottom}
      style={{ left: offset(index, ports.length) }}
      title={`${port.label ?? port.name} (${port.type})`}
      data-testid={`port-${id}-${kind}-${port.name}`}
    />
  ));
}

export function ModuleNode({ id, data, selected }: NodeProps<Node<ModuleNodeProps>>) {
  const status = data.state?.status ?? "idle";
  const { openLog } = useContext(NodeActionsContext);
  return (
    <div
      className={`module-node module-node--${status}${selected ? " module-node--selected" : ""}`}
      data-testid={`node-${id}`}
      data-status={status}
    >
      <Ports id={id} ports={data.inputs} kind="in" />
      <div className="module-node__name">{data.label}</div>
      {data.comment ? <div className="module-node__comment">{data.comment}</div> : null}
      {data.state ? (
        <button type="button" className="module-node__badge nodrag" data-testid={`status-${id}`}
                title={`${data.state.error ?? status} — click to view the output log`}
                onClick={() => openLog(id)}>
          {status === "running" ? `running ${Math.round(data.state.progress * 100)}%` : status}
        </button>
      ) : null}
      {data.problem ? (
        <span className="module-node__flag" title={data.problem} aria-label={data.problem}>
          !
        </span>
      ) : null}
      <Ports id={id} ports={data.outputs} kind="out" />
    </div>
  );
}
