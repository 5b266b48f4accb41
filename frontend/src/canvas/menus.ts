// What the right-click menus of the canvas offer (classic studio: a module's and an output port's menus).
// The actions themselves are the canvas's own (the same as the toolbar, the properties pane and the keys).
import type { PortSpec } from "../api/types";
import { SAVED_AS } from "../properties/Properties";
import type { MenuItem } from "./ContextMenu";

export interface MenuTarget {
  node: string;
  port: string | null;  // an output port's menu, else the node's
  x: number;
  y: number;
}

export interface MenuActions {
  outputs: PortSpec[];         // the node's output ports (catalogue)
  finished: string[];          // those with a result in the run shown
  selected: number;            // how many nodes the selection holds (the node is one of them)
  visualize: (port: string) => void;
  saveAs: (port: string, what: string) => void;
  runSelected: () => void;
  copy: () => void;
  remove: () => void;
  editComment: () => void;
}

const NOT_RUN = "Run the experiment to see this output";

function outputItems(node: string, port: PortSpec, actions: MenuActions, named: boolean): MenuItem[] {
  const ready = actions.finished.includes(port.name);
  const label = port.label ?? port.name;
  const items: MenuItem[] = [{
    label: named ? `Visualize ${label}` : "Visualize", testId: `menu-visualize-${node}-${port.name}`,
    onSelect: () => actions.visualize(port.name), disabled: !ready, hint: ready ? undefined : NOT_RUN,
  }];
  const what = SAVED_AS[port.type];
  if (what !== undefined) {
    items.push({ label: named ? `Save ${label} as ${what}…` : `Save as ${what}…`, testId: `menu-save-${node}-${port.name}`,
                 onSelect: () => actions.saveAs(port.name, what), disabled: !ready, hint: ready ? undefined : NOT_RUN });
  }
  return items;
}

export function nodeMenu(node: string, actions: MenuActions): MenuItem[] {
  const several = actions.selected > 1;
  return [
    ...actions.outputs.flatMap((port) => outputItems(node, port, actions, true)),
    { label: several ? `Run selected (${actions.selected})` : "Run selected", testId: "menu-run-selected",
      onSelect: actions.runSelected, group: "run" },
    { label: several ? `Copy ${actions.selected} modules` : "Copy", testId: "menu-copy", onSelect: actions.copy,
      group: "edit" },
    { label: several ? `Delete ${actions.selected} modules` : "Delete", testId: "menu-delete", onSelect: actions.remove,
      group: "edit" },
    { label: "Edit comment…", testId: "menu-comment", onSelect: actions.editComment, group: "edit" },
  ];
}

export function portMenu(node: string, port: string, actions: MenuActions): MenuItem[] {
  const spec = actions.outputs.find((p) => p.name === port);
  return spec === undefined ? [] : outputItems(node, spec, actions, false);
}
