// The module palette: categories from the catalogue, a search box that filters as you type, and items
// that can be dragged onto the canvas or added at the view centre with Enter.
import { useMemo, useState } from "react";

import type { DatasetSummary, ModuleSpec } from "../api/types";

export const DRAG_TYPE = "application/x-atelier-module";

export function matches(module: ModuleSpec, query: string): boolean {
  const text = `${module.name} ${module.category} ${module.subcategory} ${module.description}`.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .every((word) => text.includes(word));
}

export const DATASET_PREFIX = "dataset:";

interface PaletteProps {
  modules: ModuleSpec[];
  datasets: DatasetSummary[];
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

export function Palette({ modules, datasets, onAdd }: PaletteProps) {
  const [query, setQuery] = useState("");
  const saved = datasets.filter((d) => `${d.name} saved datasets`.toLowerCase().includes(query.toLowerCase()));
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
      {groups.length === 0 && saved.length === 0 ? <p className="palette__empty">No module matches “{query}”.</p> : null}
      {saved.length ? (
        <section>
          <h2>Saved Datasets</h2>
          <ul>
            {saved.map((dataset) => (
              <Item key={dataset.id} item={`${DATASET_PREFIX}${dataset.id}`} label={dataset.name}
                    title={`${dataset.rows} rows, ${dataset.columns.length} columns`}
                    testId={`palette-dataset-${dataset.id}`} onAdd={onAdd} />
            ))}
          </ul>
        </section>
      ) : null}
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
