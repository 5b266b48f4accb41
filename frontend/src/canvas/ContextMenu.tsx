// Right-click menus of the canvas (a node, an output port): a WAI-ARIA menu — opened by the mouse or by the
// keyboard (Shift+F10 or the Menu key on a focused node), arrow keys move, Enter chooses, Esc or a click
// elsewhere closes and gives the focus back.
import { Fragment, type KeyboardEvent as ReactKeyboardEvent, useEffect, useLayoutEffect, useRef } from "react";

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
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        onClose();
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

  const move = (event: ReactKeyboardEvent) => {
    if (menu.current === null) return;
    const buttons = focusables(menu.current);
    const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: buttons.length - 1 }[event.key];
    if (to === undefined) {
      if (event.key === "Tab") onClose();
      return;
    }
    event.preventDefault();
    buttons[(to + buttons.length) % buttons.length]?.focus();
  };

  return (
    <div ref={menu} className="context-menu" role="menu" aria-label={label} data-testid="context-menu"
         onKeyDown={move} onContextMenu={(event) => event.preventDefault()}>
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
