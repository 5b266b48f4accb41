// The Visualize panel: what an output port holds, as tables (DataTable, Evaluation, TrainedModel).
import { useEffect, useState } from "react";

import { getJSON } from "../api/client";

type Cell = string | number | boolean | null;

interface TableView {
  type: "DataTable";
  rows: number;
  columns: { name: string; kind: string; role: string; missing: number; unique: number; mean?: number; min?: number;
             max?: number }[];
  preview: { ColumnNames: string[]; Values: Cell[][] };
}

interface EvaluationView {
  type: "Evaluation";
  task: string;
  metrics: Record<string, number>;
  confusion_matrix: { labels: string[]; matrix: number[][] } | null;
}

interface ModelView {
  type: "TrainedModel";
  name: string;
  task: string;
  label: string | null;
  features: { name: string; kind: string }[];
  parameters: Record<string, unknown>;
}

type View = TableView | EvaluationView | ModelView | { type: string };

function format(value: Cell | undefined): string {
  if (value === null || value === undefined) return "";
  return typeof value === "number" && !Number.isInteger(value) ? value.toPrecision(4) : String(value);
}

function Table({ head, rows }: { head: string[]; rows: Cell[][] }) {
  return (
    <table>
      <thead><tr>{head.map((h) => <th key={h}>{h}</th>)}</tr></thead>
      <tbody>{rows.map((row, i) => <tr key={i}>{row.map((cell, j) => <td key={j}>{format(cell)}</td>)}</tr>)}</tbody>
    </table>
  );
}

function Body({ view }: { view: View }) {
  if (view.type === "DataTable") {
    const table = view as TableView;
    return (
      <>
        <p>{table.rows} rows, {table.columns.length} columns</p>
        <Table head={["Column", "Kind", "Role", "Missing", "Unique", "Mean", "Min", "Max"]}
               rows={table.columns.map((c) => [c.name, c.kind, c.role, c.missing, c.unique, c.mean ?? null,
                                               c.min ?? null, c.max ?? null])} />
        <Table head={table.preview.ColumnNames} rows={table.preview.Values} />
      </>
    );
  }
  if (view.type === "Evaluation") {
    const evaluation = view as EvaluationView;
    return (
      <>
        <Table head={["Metric", "Value"]} rows={Object.entries(evaluation.metrics)} />
        {evaluation.confusion_matrix ? (
          <Table head={["", ...evaluation.confusion_matrix.labels]}
                 rows={evaluation.confusion_matrix.matrix.map((row, i) => [evaluation.confusion_matrix?.labels[i] ?? "", ...row])} />
        ) : null}
      </>
    );
  }
  if (view.type === "TrainedModel") {
    const model = view as ModelView;
    return (
      <>
        <p>{model.name} ({model.task}), label {model.label ?? "—"}, {model.features.length} features</p>
        <Table head={["Parameter", "Value"]} rows={Object.entries(model.parameters).map(([k, v]) => [k, JSON.stringify(v)])} />
      </>
    );
  }
  return <pre>{JSON.stringify(view, null, 2)}</pre>;
}

export function Visualization({ url, title, onClose }: { url: string; title: string; onClose: () => void }) {
  const [view, setView] = useState<View | null>(null);
  const [error, setError] = useState("");
  useEffect(() => {
    getJSON<View>(url).then(setView, (reason: unknown) => setError(reason instanceof Error ? reason.message : String(reason)));
  }, [url]);
  return (
    <section className="visualization" data-testid="visualization" role="dialog" aria-label={title}>
      <header>
        <strong>{title}</strong>
        <button type="button" onClick={onClose} aria-label="Close">×</button>
      </header>
      {error ? <p role="alert">{error}</p> : view === null ? <p>Loading…</p> : <Body view={view} />}
    </section>
  );
}
