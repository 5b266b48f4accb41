// What a module on the canvas can ask of the editor (its badge opens the output log; context menus may use the
// same actions), without threading callbacks through every node's data.
import { createContext } from "react";

export interface NodeActions {
  openLog: (nodeId: string) => void;
}

export const NodeActionsContext = createContext<NodeActions>({ openLog: () => undefined });
