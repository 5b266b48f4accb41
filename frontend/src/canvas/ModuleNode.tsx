// A module on the canvas, classic-studio style: input ports on the top edge, output ports on the bottom,
// the saved object's name or the module's name with a short caption of its parameters, a status badge from
// the live run, and a flag when validation found a problem. While a connection is dragged, the ports it may
// end on are highlighted and the others dimmed (`portHints`, from the store's checkConnection).
import { Handle, Position, type Node, type NodeProps } from "@xyflow/react";
import { useContext } from "react";

import type { NodeState, PortSpec } from "../api/types";
import { NodeActionsContext } from "./nodeActions";

export type PortHint = "compatible" | "incompatible";

/** What every module node carries: the module's name, its id in the catalogue, and the node's comment. */
export interface ModuleNodeData extends Record<string, unknown> {
  label: string;
  module: string;
  comment: string;
}

export interface ModuleNodeProps extends ModuleNodeData {
  inputs: PortSpec[];
  outputs: PortSpec[];
  state: NodeState | null;
  problem: string | null;
  title?: string;         // the saved dataset / model / transform's name, else the module's name
  summary?: string;       // e.g. "0.7, random seed 0" (canvas/caption.ts)
  tooltip?: string;
  portHints?: Record<string, PortHint> | null;  // "in:dataset" -> hint, while a connection is dragged
}

/** Short badges keep the name readable; the word is in the badge's label and tooltip. A failure says so in full. */
const BADGES: Record<string, string> = { finished: "✓", cached: "✓", queued: "…", skipped: "–" };

function offset(index: number, count: number): string {
  return `${((index + 1) * 100) / (count + 1)}%`;
}

function Ports({ id, ports, kind, hints }: { id: string; ports: PortSpec[]; kind: "in" | "out";
                                             hints: Record<string, PortHint> | null }) {
  return ports.map((port, index) => {
    const label = `${port.label ?? port.name} (${port.type}${port.optional ? ", optional" : ""})`;
    const hint = hints?.[`${kind}:${port.name}`];
    return (
      <Handle
        key={port.name}
        id={port.name}
        type={kind === "in" ? "target" : "source"}
        position={kind === "in" ? Position.Top : Position.Bottom}
        style={{ left: offset(index, ports.length) }}
        className={`port port--${kind}${hint ? ` port--${hint}` : ""}`}
        aria-label={`${kind === "in" ? "Input" : "Output"} ${label}`}
        data-testid={`port-${id}-${kind}-${port.name}`}
        data-hint={hint}
      >
        <span className="port__label" aria-hidden="true">{label}</span>
      </Handle>
    );
  });
}

export function ModuleNode({ id, data, selected }: NodeProps<Node<ModuleNodeProps>>) {
  const status = data.state?.status ?? "idle";
  const { openLog } = useContext(NodeActionsContext);
  const hints = data.portHints ?? null;
  return (
    <div
      className={`module-node module-node--${status}${selected ? " module-node--selected" : ""}`}
      data-testid={`node-${id}`}
      data-status={status}
    >
      <Ports id={id} ports={data.inputs} kind="in" hints={hints} />
      <div className="module-node__head" title={data.tooltip}>
        <div className="module-node__name">{data.title ?? data.label}</div>
        {data.state ? (
          <button type="button" className="module-node__badge nodrag" aria-label={status} data-testid={`status-${id}`}
                  title={`${data.state.error ?? status} — click to view the output log`}
                  onClick={() => openLog(id)}>
            {status === "running" ? `${Math.round(data.state.progress * 100)}%` : BADGES[status] ?? status}
          </button>
        ) : null}
      </div>
      {data.summary ? (
        <div className="module-node__summary" title={data.tooltip} data-testid={`summary-${id}`}>{data.summary}</div>
      ) : null}
      {data.comment ? <div className="module-node__comment" title={data.comment}>{data.comment}</div> : null}
      {data.problem ? (
        <span className="module-node__flag" title={data.problem} aria-label={data.problem}>
          !
        </span>
      ) : null}
      <Ports id={id} ports={data.outputs} kind="out" hints={hints} />
    </div>
  );
}
