// Pane widths of the canvas page: what the user chose (kept in the browser) and what fits the window.

export type Side = "palette" | "properties";

export interface Pane {
  width: number;
  collapsed: boolean;
}

export type Panes = Record<Side, Pane>;

export const PANE_LIMITS: Record<Side, { min: number; max: number }> = {
  palette: { min: 160, max: 420 },
  properties: { min: 220, max: 640 },
};

/** The graph never gets narrower than this while a pane can still give way. */
export const MIN_GRAPH = 320;
/** A splitter beside an open pane, or the rail a collapsed pane leaves. */
export const SPLITTER = 6;
export const RAIL = 28;

/** First-visit widths: narrower panes on a small screen (at 1024 px the graph keeps ~550 px). */
export function paneDefaults(windowWidth: number): Panes {
  const small = windowWidth < 1200;
  return { palette: { width: small ? 200 : 240, collapsed: false },
           properties: { width: small ? 260 : 320, collapsed: false } };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

export interface Fitted {
  palette: number;
  properties: number;
  /** How wide each pane may be dragged, the other staying as it is. */
  max: Record<Side, number>;
}

/** Rendered widths for a workbench `total` px wide: the chosen ones when they leave the graph MIN_GRAPH px;
 *  otherwise the palette gives way first, then the properties pane, neither below its minimum. */
export function fitPanes(panes: Panes, total: number): Fitted {
  const open = (side: Side) => !panes[side].collapsed;
  const chrome = (open("palette") ? SPLITTER : RAIL) + (open("properties") ? SPLITTER : RAIL);
  const room = Math.max(total - MIN_GRAPH - chrome, 0);
  const want = (side: Side) => (open(side) ? clamp(panes[side].width, PANE_LIMITS[side].min, PANE_LIMITS[side].max) : 0);
  let palette = want("palette");
  let properties = want("properties");
  let excess = palette + properties - room;
  if (excess > 0 && open("palette")) {
    const give = Math.min(excess, palette - PANE_LIMITS.palette.min);
    palette -= give;
    excess -= give;
  }
  if (excess > 0 && open("properties")) properties -= Math.min(excess, properties - PANE_LIMITS.properties.min);
  const max = (side: Side, other: number) => Math.max(PANE_LIMITS[side].min, Math.min(PANE_LIMITS[side].max, room - other));
  return { palette, properties, max: { palette: max("palette", properties), properties: max("properties", palette) } };
}
