// Right-click menus of the canvas (a node, an output port): a WAI-ARIA menu — opened by the mouse or by the
// keyboard (Shift+F10 or the Menu key on a focused node), arrow keys move, Enter chooses, Esc or a click
// elsewhere closes and gives the focus back.
import { Fragment, useEffect, useLayoutEffect, useRef } from "react";

export interface MenuItem {
  label: string;
  testId: string;
  onSelect: () => void;
  disabled?: boolean;
  hint?: string;  // why it is disabled, or what it does
  group?: string;  // items of another group than the one before are set apart by a line
}

interface ContextMenuProps {
  x: number;
  y: number;
  label: string;
  items: MenuItem[];
  onClose: () => void;
}

const EDGE = 8;

function focusables(menu: HTMLElement): HTMLButtonElement[] {
  return [...menu.querySelectorAll<HTMLButtonElement>("button[role=menuitem]:not(:disabled)")];
}

/** Moves the focus for a navigation key (true when the key was one); from outside the menu, Down and Home
 * go to the first item, Up and End to the last. */
function move(menu: HTMLElement, key: string): boolean {
  const buttons = focusables(menu);
  const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
  const to = at < 0
    ? { ArrowDown: 0, ArrowUp: buttons.length - 1, Home: 0, End: buttons.length - 1 }[key]
    : { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[key];
  if (to === undefined) return false;
  buttons[(to + buttons.length) % buttons.length]?.focus();
  return true;
}

export function ContextMenu({ x, y, label, items, onClose }: ContextMenuProps) {
  const menu = useRef<HTMLDivElement>(null);
  const opener = useRef<Element | null>(document.activeElement);
  const close = useRef(onClose);
  useLayoutEffect(() => {
    close.current = onClose;
  });

  // Where the pointer was, kept inside the window (positioned through the CSSOM: the page's CSP has no inline styles).
  useLayoutEffect(() => {
    const element = menu.current;
    if (element === null) return;
    const { width, height } = element.getBoundingClientRect();
    element.style.left = `${Math.max(EDGE, Math.min(x, window.innerWidth - width - EDGE))}px`;
    element.style.top = `${Math.max(EDGE, Math.min(y, window.innerHeight - height - EDGE))}px`;
    focusables(element)[0]?.focus();
  }, [x, y]);

  useEffect(() => {
    const returnFocus = opener.current;
    const onClose = () => close.current();
    const outside = (event: Event) => {
      if (!(event.target instanceof Node) || !menu.current?.contains(event.target)) onClose();
    };
    // Keys are read on the document while the menu is open, so they reach the menu even when the focus has
    // not moved into it yet (a fast typist, a busy machine) and never move the nodes behind it.
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        onClose();
        return;
      }
      if (event.key === "Tab") {
        onClose();
        return;
      }
      if (menu.current !== null && move(menu.current, event.key)) {
        event.preventDefault();
        event.stopPropagation();
      }
    };
    document.addEventListener("pointerdown", outside, true);
    document.addEventListener("keydown", onKey, true);
    window.addEventListener("blur", onClose);
    window.addEventListener("resize", onClose);
    return () => {
      document.removeEventListener("pointerdown", outside, true);
      document.removeEventListener("keydown", onKey, true);
      window.removeEventListener("blur", onClose);
      window.removeEventListener("resize", onClose);
      if (returnFocus instanceof HTMLElement && document.contains(returnFocus)) returnFocus.focus();
    };
  }, []);

  return (
    <div ref={menu} className="context-menu" role="menu" aria-label={label} data-testid="context-menu"
         onContextMenu={(event) => event.preventDefault()}>
      {items.map((item, index) => (
        <Fragment key={item.testId}>
          {index > 0 && item.group !== items[index - 1]?.group ? <div role="separator" className="context-menu__separator" /> : null}
          <button type="button" role="menuitem" data-testid={item.testId} disabled={item.disabled}
                  title={item.hint} tabIndex={-1}
                  onClick={() => { onClose(); item.onSelect(); }}>
            {item.label}
          </button>
        </Fragment>
      ))}
    </div>
  );
}
