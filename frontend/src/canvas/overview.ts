// The overview (minimap) in the canvas's bottom right corner: shown by default where the window leaves the graph
// room for it, hidden on small windows (where it would cover a third of the graph), and the user's choice kept.
import type { FitViewOptions } from "@xyflow/react";
import { useState } from "react";

const STORE = "atelier.canvas.overview";
/** Below this window width the graph area is too narrow (≈ 560 px at 1024) to give 200 px to the overview. */
const ROOMY_WINDOW = 1280;

const MARGIN = "24px";
/** Fitting the graph leaves the zoom buttons' column (left) free, and the overview's (200 px + margins) when shown. */
export function fitOptions(overview: boolean): FitViewOptions & { padding: Record<"top" | "bottom" | "left" | "right", `${number}px`> } {
  return { maxZoom: 1, padding: { top: MARGIN, bottom: MARGIN, left: "56px", right: overview ? "232px" : MARGIN } };
}

export function defaultOverview(stored: string | null, windowWidth: number): boolean {
  return stored === null ? windowWidth >= ROOMY_WINDOW : stored === "shown";
}

export function useOverview(): [boolean, () => void] {
  const [shown, setShown] = useState(() => {
    let stored: string | null = null;
    try { stored = window.localStorage.getItem(STORE); } catch { /* storage blocked: follow the window */ }
    return defaultOverview(stored, window.innerWidth);
  });
  const toggle = () => setShown((before) => {
    try { window.localStorage.setItem(STORE, before ? "hidden" : "shown"); } catch { /* kept for this page */ }
    return !before;
  });
  return [shown, toggle];
}
