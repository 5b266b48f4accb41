// The canvas page's panes, as in the classic studio and KNIME: module palette on the left, the graph in the
// middle, properties on the right. Drag a pane's edge (or focus it and use ←/→) to resize it, « / » or a
// double-click on the edge to collapse it; the graph takes the rest. Sizes are kept in this browser.
import { useEffect, useRef, useState, type CSSProperties, type KeyboardEvent, type PointerEvent,
         type ReactNode } from "react";

import { fitPanes, paneDefaults, PANE_LIMITS, type Pane, type Panes, type Side } from "./panes";

const STORE = "atelier.canvas.panes";

type Choices = Partial<Record<Side, Partial<Pane>>>;

/** What the user chose in this browser; anything not chosen follows the window's size (paneDefaults). */
function chosen(): Choices {
  try {
    return (JSON.parse(window.localStorage.getItem(STORE) ?? "{}") as Choices | null) ?? {};
  } catch {
    return {};
  }
}

const NAMES: Record<Side, string> = { palette: "module palette", properties: "properties pane" };
const TITLES: Record<Side, string> = { palette: "Modules", properties: "Properties" };

interface SplitterProps {
  side: Side;
  width: number;
  max: number;
  onResize: (width: number) => void;
  onToggle: () => void;
}

/** The draggable edge between a pane and the graph (a focusable separator, as WAI-ARIA describes one). */
function Splitter({ side, width, max, onResize, onToggle }: SplitterProps) {
  const start = useRef<{ x: number; width: number } | null>(null);
  const grow = side === "palette" ? 1 : -1;  // dragging right widens the palette and narrows the properties
  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    event.currentTarget.setPointerCapture(event.pointerId);
    start.current = { x: event.clientX, width };
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    if (start.current !== null) onResize(start.current.width + grow * (event.clientX - start.current.x));
  };
  const onPointerUp = () => {
    start.current = null;
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const step = event.shiftKey ? 64 : 16;
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      onResize(width + (event.key === "ArrowRight" ? step : -step) * grow);
    } else if (event.key === "Enter") {
      onToggle();
    } else {
      return;
    }
    event.preventDefault();
  };
  return (
    <div className={`splitter splitter--${side}`} role="separator" aria-orientation="vertical" tabIndex={0}
         aria-label={`Resize the ${NAMES[side]}`} aria-valuenow={Math.round(width)}
         aria-valuemin={PANE_LIMITS[side].min} aria-valuemax={Math.round(max)} data-testid={`${side}-splitter`}
         title="Drag to resize; double-click to collapse" onPointerDown={onPointerDown} onPointerMove={onPointerMove}
         onPointerUp={onPointerUp} onPointerCancel={onPointerUp} onDoubleClick={onToggle} onKeyDown={onKeyDown} />
  );
}

function Pane({ side, width, collapsed, onToggle, children }: { side: Side; width: number; collapsed: boolean;
                                                               onToggle: () => void; children: ReactNode }) {
  const arrow = (side === "palette") === collapsed ? "»" : "«";
  const style: CSSProperties = collapsed ? {} : { width };
  return (
    <section className={`pane pane--${side}${collapsed ? " pane--collapsed" : ""}`} style={style}
             aria-label={TITLES[side]}>
      {collapsed ? (
        <button type="button" className="pane__rail" data-testid={`${side}-expand`} aria-expanded={false}
                aria-label={`Show the ${NAMES[side]}`} title={`Show the ${NAMES[side]}`} onClick={onToggle}>
          <span>{arrow} {TITLES[side]}</span>
        </button>
      ) : (
        <header className="pane__head">
          <span>{TITLES[side]}</span>
          <button type="button" data-testid={`${side}-collapse`} aria-expanded={true} onClick={onToggle}
                  aria-label={`Collapse the ${NAMES[side]}`} title={`Collapse the ${NAMES[side]}`}>{arrow}</button>
        </header>
      )}
      <div className="pane__body" hidden={collapsed}>{children}</div>
    </section>
  );
}

interface WorkbenchProps {
  /** The palette, the graph and the properties pane, in that order. */
  children: [ReactNode, ReactNode, ReactNode];
  overlay: ReactNode;
}

export function Workbench({ children: [palette, graph, properties], overlay }: WorkbenchProps) {
  const box = useRef<HTMLDivElement>(null);
  const [choices, setChoices] = useState<Choices>(chosen);
  const [total, setTotal] = useState(() => window.innerWidth);
  const defaults = paneDefaults(window.innerWidth);
  const panes: Panes = { palette: { ...defaults.palette, ...choices.palette },
                         properties: { ...defaults.properties, ...choices.properties } };
  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const observer = new ResizeObserver(() => setTotal(element.clientWidth));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    if (Object.keys(choices).length) window.localStorage.setItem(STORE, JSON.stringify(choices));
  }, [choices]);
  const widths = fitPanes(panes, total);
  const change = (side: Side, edit: Partial<Pane>) => setChoices((now) => ({ ...now, [side]: { ...now[side], ...edit } }));
  const resize = (side: Side) => (width: number) =>
    change(side, { width: Math.min(Math.max(width, PANE_LIMITS[side].min), widths.max[side]), collapsed: false });
  const toggle = (side: Side) => () => change(side, { collapsed: !panes[side].collapsed });
  // The column selector and other pop-ups beside the properties pane read its width from here.
  const vars = { "--properties-width": `${widths.properties}px` } as CSSProperties;
  return (
    <div className="workbench" ref={box} style={vars}>
      <Pane side="palette" width={widths.palette} collapsed={panes.palette.collapsed} onToggle={toggle("palette")}>
        {palette}
      </Pane>
      {panes.palette.collapsed ? null : (
        <Splitter side="palette" width={widths.palette} max={widths.max.palette} onResize={resize("palette")}
                  onToggle={toggle("palette")} />
      )}
      <div className="workbench__centre">
        {graph}
        {overlay}
      </div>
      {panes.properties.collapsed ? null : (
        <Splitter side="properties" width={widths.properties} max={widths.max.properties}
                  onResize={resize("properties")} onToggle={toggle("properties")} />
      )}
      <Pane side="properties" width={widths.properties} collapsed={panes.properties.collapsed}
            onToggle={toggle("properties")}>
        {properties}
      </Pane>
    </div>
  );
}
