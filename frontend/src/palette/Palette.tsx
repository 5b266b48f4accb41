// The module palette: categories from the catalogue, a search box that filters as you type, and items
// that can be dragged onto the canvas or added at the view centre with Enter.
import { useMemo, useState } from "react";

import type { ModuleSpec } from "../api/types";

export const DRAG_TYPE = "application/x-atelier-module";

export function matches(module: ModuleSpec, query: string): boolean {
  const text = `${module.name} ${module.category} ${module.subcategory} ${module.description}`.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .every((word) => text.includes(word));
}

/** Saved objects (datasets, trained models, transforms) go on the canvas through the module whose parameter
 *  references that kind (`x-reference` in the catalogue); items are dragged as "saved:<reference>:<id>". */
export const SAVED_PREFIX = "saved:";

export interface SavedItem {
  id: number;
  name: string;
  title: string;
  /** What the palette and the pickers show: the name, with "#id" when another item of the group has it too. */
  caption?: string;
}

export interface SavedGroup {
  title: string;
  reference: string;
  items: SavedItem[];
}

/** Two saved items of the same name can't be told apart by their names (issue 15): each of them is captioned
 *  with its id too ("Income model #12"), and every item's tooltip ends with its id. */
export function withCaptions(items: SavedItem[]): SavedItem[] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.name, (counts.get(item.name) ?? 0) + 1);
  return items.map((item) => ({
    ...item,
    caption: (counts.get(item.name) ?? 0) > 1 ? `${item.name} #${item.id}` : item.name,
    title: item.title ? `${item.title} (#${item.id})` : `#${item.id}`,
  }));
}

export function savedItem(item: string): { reference: string; id: number } | null {
  if (!item.startsWith(SAVED_PREFIX)) return null;
  const [reference = "", id = ""] = item.slice(SAVED_PREFIX.length).split(":");
  return { reference, id: Number(id) };
}

interface PaletteProps {
  modules: ModuleSpec[];
  saved: SavedGroup[];
  onAdd: (item: string) => void;
}

function Item({ item, label, title, testId, onAdd }: { item: string; label: string; title: string; testId: string;
                                                       onAdd: (item: string) => void }) {
  return (
    <li>
      <button
        type="button"
        draggable
        title={title}
        data-testid={testId}
        onDragStart={(event) => {
          event.dataTransfer.setData(DRAG_TYPE, item);
          event.dataTransfer.effectAllowed = "copy";
        }}
        onClick={() => onAdd(item)}
      >
        {label}
      </button>
    </li>
  );
}

export function Palette({ modules, saved, onAdd }: PaletteProps) {
  const [query, setQuery] = useState("");
  const words = query.toLowerCase().split(/\s+/);
  const savedShown = saved.map((group) => ({
    ...group,
    items: group.items.filter((item) => words.every((w) => `${item.name} ${group.title}`.toLowerCase().includes(w))),
  })).filter((group) => group.items.length > 0);
  const groups = useMemo(() => {
    const found = new Map<string, ModuleSpec[]>();
    for (const module of modules.filter((m) => matches(m, query))) {
      found.set(module.category, [...(found.get(module.category) ?? []), module]);
    }
    return [...found.entries()];
  }, [modules, query]);

  return (
    <aside className="palette" data-testid="palette" aria-label="Modules">
      <input
        type="search"
        placeholder="Search modules"
        aria-label="Search modules"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        data-testid="palette-search"
      />
      {groups.length === 0 && savedShown.length === 0 ? <p className="palette__empty">No module matches “{query}”.</p> : null}
      {savedShown.map((group) => (
        <section key={group.reference}>
          <h2>{group.title}</h2>
          <ul>
            {group.items.map((item) => (
              <Item key={item.id} item={`${SAVED_PREFIX}${group.reference}:${item.id}`} label={item.caption ?? item.name}
                    title={item.title} testId={`palette-${group.reference.replace("_", "-")}-${item.id}`} onAdd={onAdd} />
            ))}
          </ul>
        </section>
      ))}
      {groups.map(([category, items]) => (
        <section key={category}>
          <h2>{category}</h2>
          <ul>
            {items.map((module) => (
              <Item key={module.id} item={module.id} label={module.name} title={module.description}
                    testId={`palette-item-${module.id}`} onAdd={onAdd} />
            ))}
          </ul>
        </section>
      ))}
    </aside>
  );
}
