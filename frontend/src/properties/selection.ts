// Column selections (SPEC §2 params): begin with all or no columns, then include/exclude rules in order.
// The type names each column matches come from the server (`types`), so no type mapping lives here.

export interface SelectorColumn {
  name: string;
  kind: string;
  role?: string;
  types?: string[];
}

export type RuleBy = "names" | "type" | "kind";

export interface Rule {
  action: "include" | "exclude";
  by: RuleBy;
  names?: string[];
  types?: string[];
  kinds?: string[];
}

export interface Selection {
  begin_with: "all" | "none";
  rules: Rule[];
}

const KEY: Record<RuleBy, "names" | "types" | "kinds"> = { names: "names", type: "types", kind: "kinds" };

export function ruleItems(rule: Rule): string[] {
  return rule[KEY[rule.by]] ?? [];
}

export function withItems(rule: Rule, items: string[]): Rule {
  return { action: rule.action, by: rule.by, [KEY[rule.by]]: items };
}

/** Any accepted parameter form (names list, comma string, selection object) as a Selection. */
export function asSelection(value: unknown): Selection {
  if (typeof value === "string") value = value.split(",").map((n) => n.trim()).filter(Boolean);
  if (Array.isArray(value)) return byNames(value.map(String));
  if (typeof value === "object" && value !== null && "rules" in value) {
    const v = value as Partial<Selection>;
    return { begin_with: v.begin_with === "all" ? "all" : "none", rules: Array.isArray(v.rules) ? v.rules : [] };
  }
  return { begin_with: "none", rules: [] };
}

export function byNames(names: string[]): Selection {
  return { begin_with: "none", rules: names.length ? [{ action: "include", by: "names", names }] : [] };
}

/** The plain list of names when the selection is just that, else null (it needs the rules view). */
export function plainNames(selection: Selection): string[] | null {
  if (selection.begin_with !== "none") return null;
  if (selection.rules.length === 0) return [];
  const [rule, ...rest] = selection.rules;
  return rest.length === 0 && rule !== undefined && rule.action === "include" && rule.by === "names"
    ? (rule.names ?? [])
    : null;
}

function matches(rule: Rule, column: SelectorColumn): boolean {
  const items = ruleItems(rule);
  if (rule.by === "names") return items.includes(column.name);
  if (items.includes("All")) return true;
  if (rule.by === "type") return items.some((t) => column.types?.includes(t) ?? false);
  const role = column.role ?? "feature";
  return items.some((k) => k.toLowerCase() === role);
}

/** The columns a selection picks, in table order; names not in the table are reported, as the server does. */
export function resolve(selection: Selection, columns: SelectorColumn[]): { chosen: string[]; missing: string[] } {
  const known = new Set(columns.map((c) => c.name));
  const missing = selection.rules.filter((r) => r.by === "names").flatMap(ruleItems).filter((n) => !known.has(n));
  let chosen = new Set(selection.begin_with === "all" ? columns.map((c) => c.name) : []);
  for (const rule of selection.rules) {
    const hit = columns.filter((c) => matches(rule, c)).map((c) => c.name);
    chosen = rule.action === "include" ? new Set([...chosen, ...hit]) : new Set([...chosen].filter((n) => !hit.includes(n)));
  }
  return { chosen: columns.map((c) => c.name).filter((n) => chosen.has(n)), missing: [...new Set(missing)] };
}

/** A one-line summary for the properties pane, e.g. "All columns; exclude type String". */
export function describe(selection: Selection): string {
  const names = plainNames(selection);
  if (names !== null) return names.join(", ");
  const start = selection.begin_with === "all" ? "All columns" : "No columns";
  const rules = selection.rules.map((r) => `${r.action} ${r.by} ${ruleItems(r).join(", ")}`);
  return [start, ...rules].join("; ");
}
