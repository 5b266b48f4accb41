// The module palette: categories from the catalogue, a search box that filters as you type, and items
// that can be dragged onto the canvas or added at the view centre with Enter.
import { useMemo, useState } from "react";

import type { ModuleSpec } from "../api/types";

export const DRAG_TYPE = "application/x-atelier-module";

/** How well a name matches the search, best first: 0 the name itself, 1 the name starts with the search,
 *  2 every word of the search starts a word of the name, 3 the name holds every word, 4 only the other text
 *  (category, description) does; null: no match. "score model" ranks Score Model above modules whose
 *  description mentions scoring a model. */
export function rank(name: string, other: string, query: string): number | null {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const wanted = words.join(" ");
  const lower = name.toLowerCase();
  const nameWords = lower.split(/[\s\-_/()]+/);
  if (lower === wanted) return 0;
  if (lower.startsWith(wanted)) return 1;
  if (words.every((w) => nameWords.some((n) => n.startsWith(w)))) return 2;
  if (words.every((w) => lower.includes(w))) return 3;
  const text = `${lower} ${other.toLowerCase()}`;
  return words.every((w) => text.includes(w)) ? 4 : null;
}

interface Entry {
  item: string;
  label: string;
  title: string;
  testId: string;
  rank: number;
}

export interface Section {
  key: string;
  title: string;
  entries: Entry[];
}

/** The palette's sections for a search: saved objects, then the catalogue's categories; while searching,
 *  only what matches, best matches first (in each section, and sections by their best entry). */
export function search(modules: ModuleSpec[], saved: SavedGroup[], query: string): Section[] {
  const sections: Section[] = saved.map((group) => ({
    key: `saved-${group.reference}`, title: group.title,
    entries: group.items.map((item) => ({
      item: `${SAVED_PREFIX}${group.reference}:${item.id}`, label: item.caption ?? item.name, title: item.title,
      testId: `palette-${group.reference.replace("_", "-")}-${item.id}`, rank: rank(item.name, group.title, query) ?? -1,
    })),
  }));
  for (const module of modules) {
    let section = sections.find((s) => s.key === `category-${module.category}`);
    if (section === undefined) {
      section = { key: `category-${module.category}`, title: module.category, entries: [] };
      sections.push(section);
    }
    section.entries.push({ item: module.id, label: module.name, title: module.description,
                           testId: `palette-item-${module.id}`,
                           rank: rank(module.name, `${module.category} ${module.subcategory} ${module.description}`, query) ?? -1 });
  }
  const best = (section: Section) => Math.min(...section.entries.map((e) => e.rank));
  // Among names that start like the search, the shorter is the nearer ("Score Model" before "Score Model X").
  const closer = (a: Entry, b: Entry) => a.rank - b.rank || (a.rank <= 2 ? a.label.length - b.label.length : 0);
  return sections
    .map((section) => ({ ...section, entries: section.entries.filter((e) => e.rank >= 0)
                                                             .sort((a, b) => (query.trim() ? closer(a, b) : 0)) }))
    .filter((section) => section.entries.length > 0)
    .sort((a, b) => (query.trim() ? best(a) - best(b) : 0));
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
  const sections = useMemo(() => search(modules, saved, query), [modules, saved, query]);

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
      {sections.length === 0 ? <p className="palette__empty">No module matches “{query}”.</p> : null}
      {sections.map((section) => (
        <section key={section.key}>
          <h2>{section.title}</h2>
          <ul>
            {section.entries.map((entry) => (
              <Item key={entry.item} item={entry.item} label={entry.label} title={entry.title} testId={entry.testId}
                    onAdd={onAdd} />
            ))}
          </ul>
        </section>
      ))}
    </aside>
  );
}
