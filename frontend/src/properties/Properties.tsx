// The properties pane: a form built from the selected module's JSON Schema (nothing module-specific here).
import { useState } from "react";

import type { DatasetSummary, GraphNode, ModuleSpec, ParameterSchema, Problem } from "../api/types";
import { ColumnSelector, type UpstreamColumn } from "./ColumnSelector";

type Params = Record<string, unknown>;

export function visible(schema: ParameterSchema, values: Params, defaults: Params): boolean {
  const when = schema["x-visible-when"];
  if (when === undefined) return true;
  return Object.entries(when).every(([other, allowed]) => allowed.includes(values[other] ?? defaults[other]));
}

export function columnNames(value: unknown): string {
  if (Array.isArray(value)) return value.join(", ");
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && "rules" in value && Array.isArray(value.rules)) {
    const names = value.rules.flatMap((rule: { names?: string[] }) => rule.names ?? []);
    return names.join(", ");
  }
  return "";
}

interface FieldProps {
  name: string;
  schema: ParameterSchema;
  value: unknown;
  datasets: DatasetSummary[];
  upstream: () => Promise<UpstreamColumn[]>;
  onChange: (value: unknown) => void;
}

function ColumnsField({ name, schema, value, upstream, onChange }: FieldProps) {
  const [columns, setColumns] = useState<UpstreamColumn[] | null>(null);
  const [note, setNote] = useState("");
  const open = () => upstream().then(setColumns, (error: unknown) => setNote(error instanceof Error ? error.message : String(error)));
  return (
    <>
      <span className="columns-field">
        <input type="text" data-testid={`param-${name}`} placeholder="column names, comma-separated"
               key={columnNames(value)} defaultValue={columnNames(value)}
               onBlur={(event) => onChange(event.target.value.split(",").map((n) => n.trim()).filter(Boolean))} />
        <button type="button" onClick={() => void open()} data-testid={`column-selector-${name}`}
                aria-label={`Choose ${schema.title ?? name}`}>…</button>
      </span>
      {note ? <small>{note}</small> : null}
      {columns !== null ? (
        <ColumnSelector title={schema.title ?? name} columns={columns} single={schema["x-single-column"] === true}
                        chosen={columnNames(value).split(",").map((n) => n.trim())}
                        onCancel={() => setColumns(null)}
                        onDone={(names) => { setColumns(null); onChange(names); }} />
      ) : null}
    </>
  );
}

function Field(props: FieldProps) {
  const { name, schema, value, datasets, onChange } = props;
  const testId = `param-${name}`;
  if (schema["x-reference"] === "dataset") {
    return (
      <select data-testid={testId} value={value === null || value === undefined ? "" : String(value)}
              onChange={(event) => onChange(event.target.value === "" ? null : Number(event.target.value))}>
        <option value="">Choose a dataset…</option>
        {datasets.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
      </select>
    );
  }
  if (schema["x-widget"] === "column-selector") {
    return <ColumnsField {...props} />;
  }
  if (schema.enum !== undefined) {
    return (
      <select data-testid={testId} value={String(value)} onChange={(event) => onChange(event.target.value)}>
        {schema.enum.map((choice) => (
          <option key={choice}>{choice}</option>
        ))}
      </select>
    );
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "boolean") {
    return <input type="checkbox" data-testid={testId} checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
  }
  if (type === "number" || type === "integer") {
    return (
      <input
        type="number"
        data-testid={testId}
        step={type === "integer" ? 1 : "any"}
        min={schema.minimum}
        max={schema.maximum}
        defaultValue={value === null || value === undefined ? "" : String(value)}
        onBlur={(event) => onChange(event.target.value === "" ? null : Number(event.target.value))}
      />
    );
  }
  const Tag = schema["x-widget"] === undefined ? "input" : "textarea";
  return (
    <Tag
      data-testid={testId}
      defaultValue={value === null || value === undefined ? "" : String(value)}
      onBlur={(event: { target: { value: string } }) => onChange(event.target.value)}
      spellCheck={false}
    />
  );
}

interface PropertiesProps {
  node: GraphNode | null;
  module: ModuleSpec | null;
  problems: Problem[];
  datasets: DatasetSummary[];
  outputs: string[];
  upstream: () => Promise<UpstreamColumn[]>;
  onChange: (params: Params) => void;
  onComment: (comment: string) => void;
  onVisualize: (port: string) => void;
}

export function Properties(props: PropertiesProps) {
  const { node, module, problems, datasets, outputs, upstream, onChange, onComment, onVisualize } = props;
  if (node === null || module === null) {
    return (
      <aside className="properties" data-testid="properties">
        <p className="properties__hint">Select a module to see its properties.</p>
      </aside>
    );
  }
  const properties = module.parameters.properties;
  const order = module.parameters["x-order"] ?? Object.keys(properties);
  const defaults = Object.fromEntries(order.map((key) => [key, properties[key]?.default]));
  return (
    <aside className="properties" data-testid="properties" key={node.id}>
      <h2>{module.name}</h2>
      <p className="properties__description">{module.description}</p>
      <label className="field">
        <span>Comment</span>
        <input type="text" defaultValue={node.comment} data-testid="node-comment"
               onBlur={(event) => event.target.value !== node.comment && onComment(event.target.value)} />
      </label>
      {order.map((key) => {
        const schema = properties[key];
        if (schema === undefined || !visible(schema, node.params, defaults)) return null;
        const problem = problems.find((p) => p.node === node.id && p.parameter === key);
        return (
          <label key={key} className={problem ? "field field--invalid" : "field"} title={schema.description}>
            <span>{schema.title ?? key}</span>
            <Field
              name={key}
              schema={schema}
              value={node.params[key] ?? schema.default}
              datasets={datasets}
              upstream={upstream}
              onChange={(value) => onChange({ ...node.params, [key]: value })}
            />
            {problem ? <small role="alert">{problem.message}</small> : null}
          </label>
        );
      })}
      {module.outputs.map((port) => (
        <button key={port.name} type="button" className="properties__visualize" disabled={!outputs.includes(port.name)}
                title={outputs.includes(port.name) ? "" : "Run the experiment to see this output"}
                onClick={() => onVisualize(port.name)} data-testid={`visualize-${node.id}-${port.name}`}>
          Visualize {port.label ?? port.name}
        </button>
      ))}
    </aside>
  );
}
