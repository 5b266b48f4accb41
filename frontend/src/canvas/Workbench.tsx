// The canvas page's panes: module palette on the left, the graph in the middle, properties on the right, and
// an overlay (the Visualize panel) over the graph.
import type { ReactNode } from "react";

interface WorkbenchProps {
  /** The palette, the graph and the properties pane, in that order. */
  children: [ReactNode, ReactNode, ReactNode];
  overlay: ReactNode;
}

export function Workbench({ children: [palette, graph, properties], overlay }: WorkbenchProps) {
  return (
    <div className="workbench">
      {palette}
      <div className="workbench__centre">
        {graph}
        {overlay}
      </div>
      {properties}
    </div>
  );
}
