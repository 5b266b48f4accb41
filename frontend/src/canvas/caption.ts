// What a node says on the canvas, as the classic studio's captions did: the saved dataset, trained model or
// transform it reads instead of "Dataset", and a short line of its key parameters ("0.7, random seed 0").
// Which parameters, and how they read, is the module's `caption` in the catalogue: nothing module-specific here.
import type { GraphNode, ModuleSpec, ParameterSchema } from "../api/types";
import { visible } from "../properties/Properties";
import { asSelection, describe } from "../properties/selection";

/** Saved objects by "reference:id" ("dataset:3"), as the palette lists them. */
export type SavedNames = ReadonlyMap<string, { name: string; detail: string }>;

export interface Caption {
  title: string;       // the saved object's name, else the module's name
  summary: string;     // the module's parameters in a few words, or what kind of saved object it is
  tooltip: string;     // everything above in full, for the hover text
}

const LONGEST_VALUE = 48;

function defaults(module: ModuleSpec): Record<string, unknown> {
  return Object.fromEntries(Object.entries(module.parameters.properties).map(([key, p]) => [key, p.default]));
}

function shown(value: unknown, schema: ParameterSchema): string {
  if (value === null || value === undefined || value === "") return "";
  if (schema["x-widget"] === "column-selector") return describe(asSelection(value));
  if (typeof value === "boolean") return value ? "yes" : "no";
  const text = String(value).replace(/\s+/g, " ").trim();
  return text.length > LONGEST_VALUE ? `${text.slice(0, LONGEST_VALUE - 1)}…` : text;
}

/** The module's caption segments filled in; a segment whose parameter is hidden or empty is left out. */
export function parameterSummary(node: GraphNode, module: ModuleSpec): string {
  const fallback = defaults(module);
  const segments = (module.caption ?? []).flatMap((segment) => {
    let complete = true;
    const text = segment.replace(/\{(\w+)\}/g, (_, key: string) => {
      const schema = module.parameters.properties[key];
      const value = shown(node.params[key] ?? fallback[key], schema ?? {});
      if (schema === undefined || !visible(schema, node.params, fallback) || value === "") complete = false;
      return value;
    });
    return complete ? [text] : [];
  });
  return segments.join(", ");
}

/** The saved object the node reads through its reference parameter, if one is chosen. */
function savedObject(node: GraphNode, module: ModuleSpec, saved: SavedNames) {
  for (const [key, schema] of Object.entries(module.parameters.properties)) {
    const reference = schema["x-reference"];
    const id = node.params[key];
    if (reference === undefined || id === null || id === undefined) continue;
    return saved.get(`${reference}:${String(id)}`) ?? { name: `${module.name} ${String(id)} (not found)`, detail: "" };
  }
  return null;
}

export function nodeCaption(node: GraphNode, module: ModuleSpec | undefined, saved: SavedNames): Caption {
  if (module === undefined) return { title: node.module, summary: "", tooltip: node.module };
  const object = savedObject(node, module, saved);
  if (object !== null) {
    const summary = [module.name, object.detail].filter(Boolean).join(" · ");
    return { title: object.name, summary, tooltip: `${object.name}\n${summary}` };
  }
  const summary = parameterSummary(node, module);
  return { title: module.name, summary, tooltip: summary ? `${module.name}\n${summary}` : module.name };
}
