// The endpoint page's Test form: one field per input column, typed by the deployment's input schema (numbers,
// true/false, a list of the values the training data held for a text column), and the answer right under it: the
// scored columns first and highlighted, every output column in a small table, the raw JSON behind a toggle, and an
// error next to the form naming (and marking) the column it is about.
import { ApiError, sendJSON } from "../api/client";
import { element } from "./dom";

export interface Column {
  name: string;
  kind: string;
  optional?: boolean;
  levels?: string[];
}

type Table = { ColumnNames: string[]; Values: (string | null)[][] };
type Answer = { Results?: Record<string, { type?: string; value?: Table }> };
type Failure = { error?: { message?: string; details?: { target?: string; message?: string }[] }; detail?: string };

export type Control = { tag: "input"; type: "number" | "text" } | { tag: "select"; options: string[] };

/** How a column is asked for: a list where the values are known, a number field, else text. */
export function controlFor(column: Column): Control {
  if (column.kind === "boolean") return { tag: "select", options: ["true", "false"] };
  if (column.levels?.length) return { tag: "select", options: column.levels };
  return { tag: "input", type: column.kind === "numeric" ? "number" : "text" };
}

/** Scoring adds these: Scored Labels / Probabilities (one per class for multiclass), Assignments, distances. */
export function isScored(name: string): boolean {
  return name.startsWith("Scored ") || name === "Assignments" || name.startsWith("DistancesToClusterCenter");
}

/** The output columns in the order the answer shows them: scored first, then the rest as the service sent them. */
export function answerOrder(names: string[]): number[] {
  const indexes = names.map((_, index) => index);
  return [...indexes.filter((i) => isScored(names[i] ?? "")), ...indexes.filter((i) => !isScored(names[i] ?? ""))];
}

/** The message of a refused call, and the column it names ("Column 'age', row 1: …"), if any. */
export function failureOf(body: unknown, fallback: string): { message: string; column: string | null } {
  const failure = (body ?? {}) as Failure;
  const message = failure.error?.message ?? failure.detail ?? fallback;
  return { message, column: /Column '([^']+)'/.exec(message)?.[1] ?? null };
}

function field(input: string, column: Column, value: string): HTMLElement {
  const control = controlFor(column);
  const attributes = { name: `${input}:${column.name}`, "data-testid": `test-input-${column.name}` };
  if (control.tag === "input") {
    const made = element("input", "", { ...attributes, type: control.type,
                                         ...(control.type === "number" ? { step: "any", inputmode: "decimal" } : {}) });
    made.value = value;
    return made;
  }
  const select = element("select", "", attributes);
  const missing = element("option", column.optional ? "(leave out)" : "(missing)", { value: "" });
  const options = control.options.map((option) => element("option", option, { value: option }));
  if (value !== "" && !control.options.includes(value)) options.unshift(element("option", value, { value }));
  select.append(...(column.optional ? [missing, ...options] : [...options, missing]));
  select.value = value;
  return select;
}

function kindText(column: Column): string {
  const kind = column.levels?.length ? `${column.levels.length} values` : column.kind;
  return column.optional ? `${kind}, optional (the label)` : kind;
}

function buildFields(form: HTMLFormElement, schema: Record<string, Column[]>, sample: Record<string, Table>): void {
  const fields = form.querySelector<HTMLElement>(".test-fields");
  for (const [input, columns] of Object.entries(schema)) {
    const rows = sample[input];
    for (const column of columns) {
      const index = rows?.ColumnNames.indexOf(column.name) ?? -1;
      const value = index >= 0 ? rows?.Values[0]?.[index] ?? "" : "";
      const label = element("label", `${column.name} `);
      label.append(element("small", kindText(column)), field(input, column, value ?? ""));
      fields?.append(label);
    }
  }
}

function body(form: HTMLFormElement, schema: Record<string, Column[]>): unknown {
  const inputs: Record<string, Table> = {};
  for (const [input, columns] of Object.entries(schema)) {
    const value = (c: Column) => (form.elements.namedItem(`${input}:${c.name}`) as HTMLInputElement | null)?.value ?? "";
    const given = columns.filter((c) => !(c.optional && value(c) === ""));
    inputs[input] = { ColumnNames: given.map((c) => c.name), Values: [given.map((c) => value(c) || null)] };
  }
  return { Inputs: inputs, GlobalParameters: {} };
}

function answerTable(name: string, table: Table, captioned: boolean): HTMLTableElement {
  const made = element("table", "", { class: "list compact test-answer", "data-testid": `test-answer-${name}` });
  if (captioned) made.append(element("caption", name));
  const head = element("tr");
  head.append(element("th", "Column"), ...table.Values.map((_, i) => element("th", table.Values.length > 1
    ? `Row ${i + 1}` : "Value")));
  made.append(element("thead"), element("tbody"));
  made.tHead?.append(head);
  for (const index of answerOrder(table.ColumnNames)) {
    const column = table.ColumnNames[index] ?? "";
    const row = element("tr", "", isScored(column) ? { class: "scored", "data-testid": `scored-${column}` } : {});
    row.append(element("th", column), ...table.Values.map((values) => element("td", values[index] ?? "")));
    made.tBodies[0]?.append(row);
  }
  return made;
}

function rawJson(data: unknown): HTMLDetailsElement {
  const details = element("details", "", { class: "raw-json", "data-testid": "test-json-toggle" });
  details.append(element("summary", "Raw JSON"),
                 element("pre", JSON.stringify(data, null, 2), { "data-testid": "test-json" }));
  return details;
}

function markColumn(form: HTMLFormElement, column: string | null, message: string): void {
  const control = column === null ? null : form.querySelector<HTMLElement>(`[data-testid="test-input-${CSS.escape(column)}"]`);
  if (control === null) return;
  control.setAttribute("aria-invalid", "true");
  control.closest("label")?.append(element("small", message, { class: "field-error", "data-testid": "test-field-error" }));
  control.focus();
}

function clearMarks(form: HTMLFormElement): void {
  form.querySelectorAll("[aria-invalid]").forEach((control) => control.removeAttribute("aria-invalid"));
  form.querySelectorAll(".field-error").forEach((note) => note.remove());
}

function showAnswer(output: HTMLElement, data: Answer): void {
  const results = Object.entries(data.Results ?? {});
  const tables = results.filter(([, result]) => result.value?.ColumnNames);
  output.replaceChildren(...tables.map(([name, result]) => answerTable(name, result.value as Table, tables.length > 1)),
                         rawJson(data));
}

/** Mount the form on the endpoint page; `scored` is told after every call (the page refreshes its usage). */
export function mountTestForm(root: HTMLElement, api: string, schema: Record<string, Column[]>,
                              sample: Record<string, Table>, scored: () => void): void {
  const form = root.querySelector<HTMLFormElement>("[data-testid=test-form]");
  const output = root.querySelector<HTMLElement>("[data-testid=test-result]");
  if (form === null || output === null) return;
  buildFields(form, schema, sample);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearMarks(form);
    output.hidden = false;
    output.replaceChildren(element("p", "Scoring…", { role: "status" }));
    sendJSON<Answer>(api, "POST", body(form, schema))
      .then((data) => showAnswer(output, data))
      .catch((error: unknown) => {
        const data = error instanceof ApiError ? error.body : null;
        const { message, column } = failureOf(data, String(error));
        output.replaceChildren(element("p", message, { role: "alert", class: "test-error", "data-testid": "test-error" }),
                               ...(data ? [rawJson(data)] : []));
        markColumn(form, column, message);
      })
      .finally(scored);
  });
}
