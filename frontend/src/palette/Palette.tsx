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

export function Palette({ modules, onAdd }: { modules: ModuleSpec[]; onAdd: (moduleId: string) => void }) {
  const [query, setQuery] = useState("");
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
      {groups.length === 0 ? <p className="palette__empty">No module matches “{query}”.</p> : null}
      {groups.map(([category, items]) => (
        <section key={category}>
          <h2>{category}</h2>
          <ul>
            {items.map((module) => (
              <li key={module.id}>
                <button
                  type="button"
                  draggable
                  title={module.description}
                  data-testid={`palette-item-${module.id}`}
                  onDragStart={(event) => {
                    event.dataTransfer.setData(DRAG_TYPE, module.id);
                    event.dataTransfer.effectAllowed = "copy";
                  }}
                  onClick={() => onAdd(module.id)}
                >
                  {module.name}
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </aside>
  );
}
