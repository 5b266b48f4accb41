// The properties pane: a form built from the selected module's JSON Schema (nothing module-specific here).
import "./properties.css";

import { useState } from "react";
import { createPortal } from "react-dom";

import type { GraphNode, ModuleSpec, NodeState, ParameterSchema, Problem, WebParameter } from "../api/types";
import type { SavedGroup } from "../palette/Palette";
import { ColumnSelector } from "./ColumnSelector";
import type { Availability } from "./columns";
import { ProblemList } from "./Problems";
import { NodeRunSummary } from "./RunState";
import { asSelection, describe, plainNames, type Selection } from "./selection";

type Params = Record<string, unknown>;

export function visible(schema: ParameterSchema, values: Params, defaults: Params): boolean {
  const when = schema["x-visible-when"];
  if (when === undefined) return true;
  return Object.entries(when).every(([other, allowed]) => allowed.includes(values[other] ?? defaults[other]));
}

interface FieldProps {
  name: string;
  schema: ParameterSchema;
  value: unknown;
  saved: SavedGroup[];
  columns: (input?: string) => Availability | null;
  prepareColumns: () => Promise<unknown>;
  onChange: (value: unknown) => void;
}

/** Under a column field: how many columns the selector offers and from where, or why none are known yet. */
function ColumnsHint({ name, columns }: { name: string; columns: Availability | null }) {
  if (columns === null) return null;
  return (
    <span className={columns.columns ? "columns-hint" : "columns-hint columns-hint--unknown"} data-testid={`columns-hint-${name}`}>
      {columns.columns ? `${columns.columns.length} columns ${columns.from}` : columns.reason}
    </span>
  );
}

function ColumnsField({ name, schema, value, columns: columnsOf, prepareColumns, onChange }: FieldProps) {
  const [open, setOpen] = useState(false);
  const columns = columnsOf(schema["x-input-port"]);
  const selection = asSelection(value);
  const names = plainNames(selection);
  const show = () => void prepareColumns().finally(() => setOpen(true));
  // A plain list of names stays a list in the graph JSON (readable, and what the API also accepts).
  const store = (next: Selection) => onChange(plainNames(next) ?? next);
  return (
    <>
      <span className="columns-field">
        <input type="text" data-testid={`param-${name}`} placeholder="column names, comma-separated"
               key={describe(selection)} defaultValue={describe(selection)} readOnly={names === null}
               title={names === null ? "Rules: open the column selector to change them" : undefined}
               onBlur={(event) => names !== null && event.target.value !== describe(selection)
                 && onChange(event.target.value.split(",").map((n) => n.trim()).filter(Boolean))} />
        <button type="button" onClick={show} data-testid={`column-selector-${name}`}
                aria-label={`Choose ${schema.title ?? name}`}>Launch column selector</button>
      </span>
      <ColumnsHint name={name} columns={columns} />
      {open ? createPortal(  // on the page, not inside the field's <label> (a label must not hold other controls)
        <ColumnSelector title={schema.title ?? name} available={columns ?? { columns: null, reason: "" }}
                        single={schema["x-single-column"] === true}
                        value={selection} types={schema["x-column-types"] ?? []} kinds={schema["x-column-kinds"] ?? []}
                        onCancel={() => setOpen(false)}
                        onDone={(next) => { setOpen(false); store(next); }} />, document.body,
      ) : null}
    </>
  );
}

function Field(props: FieldProps) {
  const { name, schema, value, saved, onChange } = props;
  const testId = `param-${name}`;
  const reference = schema["x-reference"];
  if (reference !== undefined) {
    const group = saved.find((g) => g.reference === reference);
    return (
      <select data-testid={testId} value={value === null || value === undefined ? "" : String(value)}
              onChange={(event) => onChange(event.target.value === "" ? null : Number(event.target.value))}>
        <option value="">Choose {(schema.title ?? reference).toLowerCase()}…</option>
        {(group?.items ?? []).map((d) => <option key={d.id} value={d.id}>{d.caption ?? d.name}</option>)}
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
  saved: SavedGroup[];
  outputs: string[];
  columns: (input?: string) => Availability | null;
  prepareColumns: () => Promise<unknown>;
  state: NodeState | null;
  onOpenLog: () => void;
  nodeName: (nodeId: string) => string;
  onSelectNode: (nodeId: string | null) => void;
  blocked: boolean;
  empty: boolean;
  onChange: (params: Params) => void;
  onComment: (comment: string) => void;
  onVisualize: (port: string) => void;
  onSaveOutput: (port: string, name: string) => Promise<string>;
  webParameters: WebParameter[];
  onExpose: (parameter: string, name: string | null) => void;
}

/** What an output of each port type is saved as (classic "Save as Dataset / Trained Model / Transform"). */
export const SAVED_AS: Record<string, string> = { DataTable: "Dataset", TrainedModel: "Trained Model", Transform: "Transform" };

function SaveOutput({ port, what, nodeId, onSave }: {
  port: string; what: string; nodeId: string; onSave: (port: string, name: string) => Promise<string>;
}) {
  const [open, setOpen] = useState(false);
  const [note, setNote] = useState("");
  if (!open) {
    return (
      <button type="button" className="properties__save" onClick={() => { setOpen(true); setNote(""); }}
              data-testid={`save-output-${nodeId}-${port}`}>
        Save as {what}{note ? ` — ${note}` : ""}
      </button>
    );
  }
  return (
    <form className="properties__save-form" aria-label={`Save as ${what}`}
          onSubmit={(event) => {
            event.preventDefault();
            const name = new FormData(event.currentTarget).get("name");
            void onSave(port, String(name ?? "")).then((done) => { setNote(done); setOpen(false); },
                                                       (error: unknown) => setNote(error instanceof Error ? error.message : String(error)));
          }}>
      <input name="name" aria-label={`${what} name`} placeholder={`${what} name`} autoFocus required
             data-testid={`save-output-name-${nodeId}-${port}`} />
      <button type="submit" data-testid={`save-output-submit-${nodeId}-${port}`}>Save</button>
      <button type="button" onClick={() => setOpen(false)}>Cancel</button>
      {note ? <small role="alert">{note}</small> : null}
    </form>
  );
}

/** Classic "Set as web service parameter": a call's GlobalParameters may then set this parameter. */
function WebParameterToggle({ parameter, title, exposed, onExpose }: {
  parameter: string; title: string; exposed: WebParameter | undefined;
  onExpose: (parameter: string, name: string | null) => void;
}) {
  if (exposed !== undefined) {
    return (
      <span className="web-parameter" data-testid={`web-parameter-${parameter}`}>
        Web service parameter “{exposed.name}”
        <button type="button" aria-label={`Stop exposing ${title}`} onClick={() => onExpose(parameter, null)}>×</button>
      </span>
    );
  }
  return (
    <button type="button" className="web-parameter__set" data-testid={`expose-${parameter}`}
            aria-label={`Set ${title} as a web service parameter`}
            onClick={() => {
              const name = window.prompt(`Name of the web service parameter for ${title}`, title);
              if (name?.trim()) onExpose(parameter, name.trim());
            }}>
      Set as web service parameter
    </button>
  );
}

/** Nothing selected: the experiment's problems, listed before Run, each leading to its module. */
function ExperimentSummary({ problems, nodeName, onSelectNode, blocked, empty }: Pick<PropertiesProps,
  "problems" | "nodeName" | "onSelectNode" | "blocked" | "empty">) {
  return (
    <aside className="properties" data-testid="properties">
      {problems.length ? (
        <ProblemList problems={problems} nodeName={nodeName} onSelect={onSelectNode}
                     heading={blocked ? `Run is blocked: fix ${problems.length === 1 ? "this problem" : `these ${problems.length} problems`}`
                       : `${problems.length} ${problems.length === 1 ? "problem" : "problems"} to fix before running`} />
      ) : null}
      {!problems.length && !empty ? (
        <p className="properties__ok" data-testid="no-problems">No problems found: the experiment is ready to run.</p>
      ) : null}
      <p className="properties__hint">
        {empty ? "Drag modules from the palette onto the canvas to build the experiment." : "Select a module to see its properties."}
      </p>
    </aside>
  );
}

export function Properties(props: PropertiesProps) {
  const { node, module, problems, saved, outputs, columns, prepareColumns, onChange, onComment, onVisualize,
          onSaveOutput, webParameters, onExpose, state, onOpenLog, nodeName, onSelectNode, blocked } = props;
  if (node === null || module === null) {
    return <ExperimentSummary problems={problems} nodeName={nodeName} onSelectNode={onSelectNode} blocked={blocked}
                              empty={props.empty} />;
  }
  const own = problems.filter((p) => p.node === node.id);
  const elsewhere = problems.length - own.length;
  const properties = module.parameters.properties;
  const order = module.parameters["x-order"] ?? Object.keys(properties);
  const defaults = Object.fromEntries(order.map((key) => [key, properties[key]?.default]));
  return (
    <aside className="properties" data-testid="properties" key={node.id}>
      {blocked && problems.length ? (
        <ProblemList problems={problems} nodeName={nodeName} onSelect={onSelectNode}
                     heading={`Run is blocked by ${problems.length === 1 ? "a problem" : `${problems.length} problems`}`} />
      ) : null}
      <h2>{module.name}</h2>
      <p className="properties__description">{module.description}</p>
      {own.some((p) => p.parameter === undefined) ? (
        <ul className="properties__problems" data-testid="node-problems">
          {own.filter((p) => p.parameter === undefined).map((p, i) => <li key={i} role="alert">{p.message}</li>)}
        </ul>
      ) : null}
      {!blocked && elsewhere > 0 ? (
        <button type="button" className="properties__link" onClick={() => onSelectNode(null)} data-testid="show-problems">
          {elsewhere} {elsewhere === 1 ? "problem" : "problems"} elsewhere in the experiment
        </button>
      ) : null}
      {state ? <NodeRunSummary nodeId={node.id} state={state} onOpenLog={onOpenLog} /> : null}
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
              saved={saved}
              columns={columns}
              prepareColumns={prepareColumns}
              onChange={(value) => onChange({ ...node.params, [key]: value })}
            />
            {problem ? <small role="alert">{problem.message}</small> : null}
            <WebParameterToggle parameter={key} title={schema.title ?? key}
                                exposed={webParameters.find((p) => p.node === node.id && p.parameter === key)}
                                onExpose={onExpose} />
          </label>
        );
      })}
      {module.outputs.map((port) => (
        <div key={port.name} className="properties__output">
          <button type="button" className="properties__visualize" disabled={!outputs.includes(port.name)}
                  title={outputs.includes(port.name) ? "" : "Run the experiment to see this output"}
                  onClick={() => onVisualize(port.name)} data-testid={`visualize-${node.id}-${port.name}`}>
            Visualize {port.label ?? port.name}
          </button>
          {outputs.includes(port.name) && SAVED_AS[port.type] !== undefined ? (
            <SaveOutput port={port.name} what={SAVED_AS[port.type] ?? ""} nodeId={node.id} onSave={onSaveOutput} />
          ) : null}
        </div>
      ))}
    </aside>
  );
}
