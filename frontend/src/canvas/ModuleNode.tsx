// A module on the canvas, classic-studio style: input ports on the top edge, output ports on the bottom.
import { Handle, Position, type NodeProps, type Node } from "@xyflow/react";

import type { PortSpec } from "../api/types";
import type { ModuleNodeData } from "./graph";

export interface ModuleNodeProps extends ModuleNodeData {
  inputs: PortSpec[];
  outputs: PortSpec[];
}

function offset(index: number, count: number): string {
  return `${((index + 1) * 100) / (count + 1)}%`;
}

export function ModuleNode({ id, data }: NodeProps<Node<ModuleNodeProps>>) {
  return (
    <div className="module-node" data-testid={`node-${id}`}>
      {data.inputs.map((port, index) => (
        <Handle
          key={port.name}
          id={port.name}
          type="target"
          position={Position.Top}
          style={{ left: offset(index, data.inputs.length) }}
          title={`${port.label ?? port.name} (${port.type})`}
          data-testid={`port-${id}-in-${port.name}`}
        />
      ))}
      <div className="module-node__name">{data.label}</div>
      {data.comment ? <div className="module-node__comment">{data.comment}</div> : null}
      {data.outputs.map((port, index) => (
        <Handle
          key={port.name}
          id={port.name}
          type="source"
          position={Position.Bottom}
          style={{ left: offset(index, data.outputs.length) }}
          title={`${port.label ?? port.name} (${port.type})`}
          data-testid={`port-${id}-out-${port.name}`}
        />
      ))}
    </div>
  );
}
