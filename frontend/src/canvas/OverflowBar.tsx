// A one-line command bar: items that don't fit the width move, lowest priority first, into a "More ▾" menu
// (as the classic studio's command bar and Office's simplified ribbon do), so the bar never wraps.
import { useEffect, useLayoutEffect, useRef, useState, type ReactNode } from "react";

export interface BarItem {
  key: string;
  /** Higher stays in the bar longer. */
  priority: number;
  node: ReactNode;
}

/** The keys that go to the menu: none if every width fits `room`; otherwise the lowest priorities (later items
 *  first among equals) until the rest fits `room - more` (the menu button's width). Unknown widths count 0. */
export function overflowing(items: { key: string; priority: number }[], widths: ReadonlyMap<string, number>,
                            room: number, more: number): Set<string> {
  const width = (key: string) => widths.get(key) ?? 0;
  if (items.reduce((sum, item) => sum + width(item.key), 0) <= room) return new Set();
  const ranked = items.map((item, index) => ({ ...item, index }))
    .sort((a, b) => b.priority - a.priority || a.index - b.index);
  const hidden = new Set<string>();
  let used = more;
  for (const item of ranked) {
    if (hidden.size === 0 && used + width(item.key) <= room) used += width(item.key);
    else hidden.add(item.key);
  }
  return hidden;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((key) => b.has(key));
}

/** Closes a pop-up when the pointer goes down outside `ref` or Escape is pressed. */
export function useDismiss(open: boolean, ref: React.RefObject<HTMLElement | null>, close: () => void): void {
  useEffect(() => {
    if (!open) return;
    const onPointer = (event: PointerEvent) => {
      if (ref.current && !ref.current.contains(event.target as Node)) close();
    };
    const onKey = (event: KeyboardEvent) => { if (event.key === "Escape") close(); };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open, ref, close]);
}

interface OverflowBarProps {
  items: BarItem[];
  /** Stays at the start of the bar (the title); never moves to the menu. */
  lead: ReactNode;
  /** Takes the rest of the line after the items (the status); its CSS min-width is kept free. */
  tail: ReactNode;
}

export function OverflowBar({ items, lead, tail }: OverflowBarProps) {
  const bar = useRef<HTMLDivElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const widths = useRef(new Map<string, number>());
  const moreWidth = useRef(80);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const [open, setOpen] = useState(false);
  const [resized, setResized] = useState(0);
  const close = useRef(() => setOpen(false)).current;
  useDismiss(open, menu, close);

  useEffect(() => {
    const element = bar.current;
    if (element === null) return;
    const observer = new ResizeObserver(() => setResized((n) => n + 1));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  // Measure what is in the bar, then decide before the browser paints: no frame shows a wrapped bar. Only when
  // the set of commands, the split or the bar's width changed: not on every render of the editor (a node drag
  // renders it at each mouse move, and reading sizes forces a layout of the whole page).
  const keys = items.map((item) => item.key).join(" ");
  useLayoutEffect(() => {
    const element = bar.current;
    if (element === null) return;
    const gap = parseFloat(getComputedStyle(element).columnGap) || 0;
    for (const child of element.querySelectorAll<HTMLElement>(":scope > [data-bar-item]")) {
      widths.current.set(child.dataset.barItem ?? "", child.offsetWidth + gap);
    }
    const more = element.querySelector<HTMLElement>(":scope > .toolbar__more-anchor");
    if (more) moreWidth.current = more.offsetWidth + gap;
    const fixed = [...element.querySelectorAll<HTMLElement>(":scope > [data-bar-fixed]")]
      .reduce((sum, child) => sum + (child.dataset.barFixed === "min" ? parseFloat(getComputedStyle(child).minWidth) || 0
        : child.offsetWidth) + gap, 0);
    const styles = getComputedStyle(element);
    const room = element.clientWidth - parseFloat(styles.paddingLeft) - parseFloat(styles.paddingRight) - fixed;
    const next = overflowing(items, widths.current, room, moreWidth.current);
    if (!sameSet(next, hidden)) setHidden(next);
  }, [keys, hidden, resized]);  // eslint-disable-line react-hooks/exhaustive-deps -- items: see above

  const shown = items.filter((item) => !hidden.has(item.key));
  const moved = items.filter((item) => hidden.has(item.key));
  return (
    <div className="toolbar" role="toolbar" aria-label="Experiment" ref={bar}>
      <span data-bar-fixed="width" className="toolbar__lead">{lead}</span>
      {shown.map((item) => <span key={item.key} data-bar-item={item.key} className="toolbar__item">{item.node}</span>)}
      {moved.length > 0 ? (
        <div className="toolbar__more-anchor menu" ref={menu}>
          <button type="button" data-testid="toolbar-more" aria-haspopup="menu" aria-expanded={open}
                  title="Commands that don't fit the window" onClick={() => setOpen(!open)}>
            More ▾
          </button>
          {open ? (
            <div className="toolbar__more" role="group" aria-label="More commands" onChange={() => setOpen(false)}
                 onClick={(event) => {
                   const target = event.target as HTMLElement;
                   if (target.closest("button") && !target.closest("[aria-haspopup]")) setOpen(false);
                 }}>
              {moved.map((item) => <div key={item.key} className="toolbar__more-item">{item.node}</div>)}
            </div>
          ) : null}
        </div>
      ) : null}
      <span data-bar-fixed="min" className="toolbar__tail">{tail}</span>
    </div>
  );
}
