// The column selector dialog: the upstream table's columns with their kinds, ticked to include.
import { useState } from "react";

export interface UpstreamColumn {
  name: string;
  kind: string;
  role?: string;
}

interface ColumnSelectorProps {
  title: string;
  columns: UpstreamColumn[];
  chosen: string[];
  single: boolean;
  onDone: (names: string[]) => void;
  onCancel: () => void;
}

export function ColumnSelector({ title, columns, chosen, single, onDone, onCancel }: ColumnSelectorProps) {
  const [picked, setPicked] = useState<string[]>(chosen.filter((name) => columns.some((c) => c.name === name)));
  const [filter, setFilter] = useState("");
  const toggle = (name: string) =>
    setPicked((before) => (single ? [name] : before.includes(name) ? before.filter((n) => n !== name) : [...before, name]));
  const shown = columns.filter((c) => c.name.toLowerCase().includes(filter.toLowerCase()));
  return (
    <div className="column-selector" role="dialog" aria-label={title} data-testid="column-selector">
      <h3>{title}</h3>
      <input type="search" placeholder="Filter columns" aria-label="Filter columns" value={filter}
             onChange={(event) => setFilter(event.target.value)} />
      {!single ? (
        <div className="column-selector__bulk">
          <button type="button" onClick={() => setPicked(columns.map((c) => c.name))}>All</button>
          <button type="button" onClick={() => setPicked([])}>None</button>
        </div>
      ) : null}
      <ul>
        {shown.map((column) => (
          <li key={column.name}>
            <label>
              <input type={single ? "radio" : "checkbox"} name="column" checked={picked.includes(column.name)}
                     onChange={() => toggle(column.name)} data-testid={`column-option-${column.name}`} />
              {column.name} <small>{column.kind}{column.role && column.role !== "feature" ? `, ${column.role}` : ""}</small>
            </label>
          </li>
        ))}
      </ul>
      <footer>
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="button" className="primary" onClick={() => onDone(columns.map((c) => c.name).filter((n) => picked.includes(n)))}
                data-testid="column-selector-done">
          OK
        </button>
      </footer>
    </div>
  );
}
