// The Visualize panel: what an output port holds, as tables (DataTable, Evaluation, TrainedModel).
import { useEffect, useMemo, useState } from "react";

import { getJSON } from "../api/client";
import { Chart, barSpec, heatmapSpec, lineSpec } from "./Chart";
import { metricsAt, type RocCurve } from "./threshold";

type Cell = string | number | boolean | null;

interface TableView {
  type: "DataTable";
  rows: number;
  columns: { name: string; kind: string; role: string; missing: number; unique: number; mean?: number; min?: number;
             max?: number; histogram?: { bins: number[]; counts: number[] }; top?: [string, number][] }[];
  preview: { ColumnNames: string[]; Values: Cell[][] };
}

interface EvaluationView {
  type: "Evaluation";
  task: string;
  metrics: Record<string, number>;
  confusion_matrix: { labels: string[]; matrix: number[][] } | null;
  curves: {
    roc?: RocCurve;
    pr?: { recall: number[]; precision: number[] };
    lift?: { fraction_of_population: number[]; true_positives: number[] };
    positives?: number;
    negatives?: number;
  };
  compared?: EvaluationView;
}

interface ModelView {
  type: "TrainedModel";
  name: string;
  task: string;
  label: string | null;
  features: { name: string; kind: string }[];
  parameters: Record<string, unknown>;
  feature_importances: Record<string, number> | null;
}

function points(xs: number[] = [], ys: number[] = []): { x: number; y: number }[] {
  return xs.map((x, i) => ({ x, y: ys[i] ?? 0 }));
}

function ThresholdSlider({ evaluation }: { evaluation: EvaluationView }) {
  const [threshold, setThreshold] = useState(0.5);
  const { roc, positives, negatives } = evaluation.curves;
  if (roc === undefined || positives === undefined || negatives === undefined) return null;
  const m = metricsAt(roc, positives, negatives, threshold);
  return (
    <label className="threshold">
      Threshold {threshold.toFixed(2)}
      <input type="range" min={0} max={1} step={0.01} value={threshold} data-testid="threshold-slider"
             onChange={(event) => setThreshold(Number(event.target.value))} />
      <span data-testid="threshold-metrics">
        Accuracy {m.accuracy.toFixed(3)} · Precision {m.precision.toFixed(3)} · Recall {m.recall.toFixed(3)} · F1 {m.f1.toFixed(3)}
      </span>
    </label>
  );
}

function EvaluationBody({ evaluation }: { evaluation: EvaluationView }) {
  const { roc, pr, lift } = evaluation.curves;
  const charts = useMemo(() => [
    roc ? lineSpec("ROC", "False positive rate", "True positive rate", points(roc.fpr, roc.tpr)) : null,
    pr ? lineSpec("Precision / recall", "Recall", "Precision", points(pr.recall, pr.precision)) : null,
    lift ? lineSpec("Lift", "Fraction of population", "True positives", points(lift.fraction_of_population, lift.true_positives)) : null,
    evaluation.confusion_matrix ? heatmapSpec(evaluation.confusion_matrix.labels, evaluation.confusion_matrix.matrix) : null,
  ], [evaluation, roc, pr, lift]);
  return (
    <div className="evaluation">
      <Table head={["Metric", "Value"]} rows={Object.entries(evaluation.metrics)} />
      <ThresholdSlider evaluation={evaluation} />
      <div className="charts">
        {charts.map((spec, i) => (spec ? <Chart key={i} spec={spec} label={String(spec.title ?? "chart")} /> : null))}
      </div>
    </div>
  );
}

function TableBody({ table }: { table: TableView }) {
  const [column, setColumn] = useState(table.columns[0]?.name ?? "");
  const chosen = table.columns.find((c) => c.name === column);
  const spec = useMemo(() => {
    if (chosen?.histogram) {
      const { bins, counts } = chosen.histogram;
      return barSpec(chosen.name, "from", "rows", counts.map((y, i) => ({ x: Number((bins[i] ?? 0).toPrecision(3)), y })));
    }
    return chosen?.top ? barSpec(chosen.name, "value", "rows", chosen.top.map(([x, y]) => ({ x, y })), true) : null;
  }, [chosen]);
  return (
    <>
      <p>{table.rows} rows, {table.columns.length} columns</p>
      <div className="charts">
        <Table head={["Column", "Kind", "Role", "Missing", "Unique", "Mean", "Min", "Max"]}
               rows={table.columns.map((c) => [c.name, c.kind, c.role, c.missing, c.unique, c.mean ?? null,
                                               c.min ?? null, c.max ?? null])} />
        <div>
          <select aria-label="Column to chart" value={column} onChange={(event) => setColumn(event.target.value)}>
            {table.columns.map((c) => <option key={c.name}>{c.name}</option>)}
          </select>
          {spec ? <Chart spec={spec} label={`Distribution of ${column}`} /> : null}
        </div>
      </div>
      <Table head={table.preview.ColumnNames} rows={table.preview.Values} />
    </>
  );
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
    return <TableBody table={view as TableView} />;
  }
  if (view.type === "Evaluation") {
    const evaluation = view as EvaluationView;
    return (
      <div className="side-by-side">
        <EvaluationBody evaluation={evaluation} />
        {evaluation.compared ? <EvaluationBody evaluation={evaluation.compared} /> : null}
      </div>
    );
  }
  if (view.type === "TrainedModel") {
    const model = view as ModelView;
    return (
      <>
        <p>{model.name} ({model.task}), label {model.label ?? "—"}, {model.features.length} features</p>
        {model.feature_importances ? (
          <Chart label="Feature importance" spec={barSpec("Feature importance", "feature", "importance",
            Object.entries(model.feature_importances).map(([x, y]) => ({ x, y })), true)} />
        ) : null}
        <Table head={["Parameter", "Value"]} rows={Object.entries(model.parameters).map(([k, v]) => [k, JSON.stringify(v)])} />
      </>
    );
  }
  return <pre>{JSON.stringify(view, null, 2)}</pre>;
}

export function Visualization({ url, title, onClose }: { url: string; title: string; onClose: () => void }) {
  const [view, setView] = useState<View | null>(null);
  const [error, setError] = useState("");
  // Maximised, the panel covers the whole window (a wide table or two evaluations side by side need it);
  // Escape restores it (other pop-ups keep Escape for themselves while it is not maximised).
  const [maximised, setMaximised] = useState(false);
  useEffect(() => {
    getJSON<View>(url).then(setView, (reason: unknown) => setError(reason instanceof Error ? reason.message : String(reason)));
  }, [url]);
  useEffect(() => {
    if (!maximised) return;
    const onKey = (event: KeyboardEvent) => { if (event.key === "Escape") setMaximised(false); };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [maximised]);
  return (
    <section className={maximised ? "visualization visualization--maximised" : "visualization"}
             data-testid="visualization" role="dialog" aria-label={title}>
      <header>
        <strong>{title}</strong>
        <span className="visualization__actions">
          <button type="button" onClick={() => setMaximised(!maximised)} data-testid="visualization-maximise"
                  aria-label={maximised ? "Restore" : "Maximise"} aria-pressed={maximised}
                  title={maximised ? "Restore (Esc)" : "Maximise"}>{maximised ? "⤡" : "⤢"}</button>
          <button type="button" onClick={onClose} aria-label="Close" title="Close">×</button>
        </span>
      </header>
      {error ? <p role="alert">{error}</p> : view === null ? <p>Loading…</p> : <Body view={view} />}
    </section>
  );
}
