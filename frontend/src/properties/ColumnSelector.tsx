// The column selector dialog, as in the classic studio. "By name": the available columns and the selected ones,
// side by side, each filterable, a tick moving a column across. "With rules": begin with all or no columns, then
// include/exclude rules by name, type or kind, with a live preview of what they select. The columns come from
// schema inference before any run (./columns.ts); when they can't be known yet, the dialog says why and takes
// names typed in.
import { useState } from "react";

import type { Availability } from "./columns";
import {
  byNames, plainNames, resolve, ruleItems, withItems,
  type Rule, type RuleBy, type Selection, type SelectorColumn,
} from "./selection";

export type UpstreamColumn = SelectorColumn;

interface ColumnSelectorProps {
  title: string;
  available: Availability;
  value: Selection;
  single: boolean;
  types: string[];
  kinds: string[];
  onDone: (selection: Selection) => void;
  onCancel: () => void;
}

function ColumnRow({ column, picked, single, toggle }: {
  column: UpstreamColumn; picked: boolean; single: boolean; toggle: (name: string) => void;
}) {
  return (
    <li>
      <label>
        <input type={single ? "radio" : "checkbox"} name="column" checked={picked} onChange={() => toggle(column.name)}
               data-testid={`column-option-${column.name}`} />
        <span className="column-selector__name">{column.name}</span>
        <small>{column.kind}{column.role && column.role !== "feature" ? `, ${column.role}` : ""}</small>
      </label>
    </li>
  );
}

function NamesView({ columns, picked, single, setPicked }: {
  columns: UpstreamColumn[]; picked: string[]; single: boolean; setPicked: (names: string[]) => void;
}) {
  const [filter, setFilter] = useState("");
  const [kind, setKind] = useState("");
  const toggle = (name: string) =>
    setPicked(single ? [name] : picked.includes(name) ? picked.filter((n) => n !== name) : [...picked, name]);
  const matches = (c: UpstreamColumn) => c.name.toLowerCase().includes(filter.toLowerCase()) && (!kind || c.kind === kind);
  const available = columns.filter((c) => !picked.includes(c.name) && matches(c));
  const selected = columns.filter((c) => picked.includes(c.name));
  const unknown = picked.filter((n) => !columns.some((c) => c.name === n));
  const kinds = [...new Set(columns.map((c) => c.kind))];
  return (
    <div className="column-selector__lists">
      <div className="column-selector__list" data-testid="column-selector-available">
        <h4>Available columns <small>({columns.length - selected.length})</small></h4>
        <div className="column-selector__filters">
          <input type="search" placeholder="Filter by name" aria-label="Filter available columns" value={filter}
                 onChange={(event) => setFilter(event.target.value)} />
          <select aria-label="Filter by kind" value={kind} onChange={(event) => setKind(event.target.value)}>
            <option value="">All kinds</option>
            {kinds.map((k) => <option key={k} value={k}>{k}</option>)}
          </select>
        </div>
        {!single ? (
          <button type="button" className="column-selector__move" disabled={!available.length}
                  onClick={() => setPicked([...picked, ...available.map((c) => c.name)])}>
            Add {filter || kind ? "these" : "all"} ›
          </button>
        ) : null}
        <ul>{available.map((c) => <ColumnRow key={c.name} column={c} picked={false} single={single} toggle={toggle} />)}</ul>
        {!available.length ? <p className="column-selector__empty">{columns.length ? "None left" : "No columns"}</p> : null}
      </div>
      <div className="column-selector__list" data-testid="column-selector-selected">
        <h4>Selected columns <small>({selected.length})</small></h4>
        <button type="button" className="column-selector__move" disabled={!picked.length} onClick={() => setPicked([])}>
          ‹ {single ? "Clear" : "Remove all"}
        </button>
        <ul>
          {selected.map((c) => <ColumnRow key={c.name} column={c} picked single={single}
                                          toggle={(name) => setPicked(picked.filter((n) => n !== name))} />)}
          {unknown.map((name) => <li key={name} className="column-selector__missing">{name} <small>not in the input</small></li>)}
        </ul>
        {!picked.length ? <p className="column-selector__empty">Tick columns on the left to select them.</p> : null}
      </div>
    </div>
  );
}

function RuleRow({ rule, index, columns, types, kinds, onChange, onRemove }: {
  rule: Rule; index: number; columns: UpstreamColumn[]; types: string[]; kinds: string[];
  onChange: (rule: Rule) => void; onRemove: () => void;
}) {
  const choices = rule.by === "names" ? columns.map((c) => c.name) : rule.by === "type" ? types : kinds;
  const items = ruleItems(rule);
  return (
    <fieldset className="column-rule" data-testid={`column-rule-${index}`}>
      <legend>Rule {index + 1}</legend>
      <select aria-label={`Rule ${index + 1} action`} value={rule.action} data-testid={`column-rule-${index}-action`}
              onChange={(e) => onChange({ ...rule, action: e.target.value as Rule["action"] })}>
        <option value="include">Include</option>
        <option value="exclude">Exclude</option>
      </select>
      <select aria-label={`Rule ${index + 1} selects by`} value={rule.by} data-testid={`column-rule-${index}-by`}
              onChange={(e) => onChange(withItems({ ...rule, by: e.target.value as RuleBy }, []))}>
        <option value="names">column names</option>
        <option value="type">column type</option>
        <option value="kind">column kind</option>
      </select>
      <div className="column-rule__items" role="group" aria-label={`Rule ${index + 1} ${rule.by}`}>
        {choices.map((choice) => (
          <label key={choice}>
            <input type="checkbox" checked={items.includes(choice)} data-testid={`column-rule-${index}-item-${choice}`}
                   onChange={() => onChange(withItems(rule, items.includes(choice)
                     ? items.filter((i) => i !== choice) : [...items, choice]))} />
            {choice}
          </label>
        ))}
      </div>
      <button type="button" onClick={onRemove} aria-label={`Remove rule ${index + 1}`}>Remove</button>
    </fieldset>
  );
}

function RulesView({ rules, setRules, columns, types, kinds }: {
  rules: Selection; setRules: (rules: Selection) => void; columns: UpstreamColumn[]; types: string[]; kinds: string[];
}) {
  const setRule = (index: number, rule: Rule) => setRules({ ...rules, rules: rules.rules.map((r, i) => (i === index ? rule : r)) });
  return (
    <div className="column-selector__rules">
      <label>
        Begin with{" "}
        <select value={rules.begin_with} data-testid="column-selector-begin"
                onChange={(e) => setRules({ ...rules, begin_with: e.target.value as Selection["begin_with"] })}>
          <option value="all">All columns</option>
          <option value="none">No columns</option>
        </select>
      </label>
      {rules.rules.map((rule, index) => (
        <RuleRow key={index} rule={rule} index={index} columns={columns} types={types} kinds={kinds}
                 onChange={(next) => setRule(index, next)}
                 onRemove={() => setRules({ ...rules, rules: rules.rules.filter((_, i) => i !== index) })} />
      ))}
      <button type="button" data-testid="column-selector-add-rule"
              onClick={() => setRules({ ...rules, rules: [...rules.rules, { action: "include", by: "type", types: [] }] })}>
        Add rule
      </button>
    </div>
  );
}

/** No columns known: why, and a place to type the names anyway. */
function UnknownColumns({ reason, value, onDone }: { reason: string; value: Selection; onDone: (s: Selection) => void }) {
  const [typed, setTyped] = useState((plainNames(value) ?? []).join(", "));
  return (
    <>
      <p className="column-selector__unknown" role="status" data-testid="column-selector-unknown">
        The columns can't be known yet. {reason}
      </p>
      <label className="column-selector__typed">
        Column names, comma-separated
        <input type="text" value={typed} onChange={(event) => setTyped(event.target.value)}
               data-testid="column-selector-typed" />
      </label>
      <button type="button" className="primary" data-testid="column-selector-typed-done"
              onClick={() => onDone(byNames(typed.split(",").map((n) => n.trim()).filter(Boolean)))}>
        Use these names
      </button>
    </>
  );
}

export function ColumnSelector({ title, available, value, single, types, kinds, onDone, onCancel }: ColumnSelectorProps) {
  const initialNames = plainNames(value);
  const [mode, setMode] = useState<"names" | "rules">(single || initialNames !== null ? "names" : "rules");
  const [picked, setPicked] = useState<string[]>(initialNames ?? []);
  const [rules, setRules] = useState<Selection>(value);
  const columns = available.columns ?? [];
  const current = mode === "names" ? byNames([...columns.map((c) => c.name).filter((n) => picked.includes(n)),
                                                ...picked.filter((n) => !columns.some((c) => c.name === n))]) : rules;
  const { chosen, missing } = resolve(current, columns);
  return (
    <div className="column-selector" role="dialog" aria-label={title} data-testid="column-selector">
      <h3>{title}</h3>
      {available.columns === null ? (
        <UnknownColumns reason={available.reason} value={value} onDone={onDone} />
      ) : (
        <>
          <p className="column-selector__source">{columns.length} columns {available.from}</p>
          {!single ? (
            <div className="column-selector__modes" role="tablist" aria-label="Select columns">
              <button type="button" role="tab" aria-selected={mode === "names"} onClick={() => setMode("names")}
                      data-testid="column-selector-by-name">By name</button>
              <button type="button" role="tab" aria-selected={mode === "rules"} data-testid="column-selector-with-rules"
                      onClick={() => { setRules(current); setMode("rules"); }}>With rules</button>
            </div>
          ) : null}
          {mode === "names"
            ? <NamesView columns={columns} picked={picked} single={single} setPicked={setPicked} />
            : <RulesView rules={rules} setRules={setRules} columns={columns} types={types} kinds={kinds} />}
          <p className="column-selector__preview" data-testid="column-selector-preview" aria-live="polite">
            {chosen.length} of {columns.length} selected{chosen.length ? `: ${chosen.join(", ")}` : ""}
            {missing.length ? <strong> — not in the input: {missing.join(", ")}</strong> : null}
          </p>
        </>
      )}
      <footer>
        <button type="button" onClick={onCancel}>Cancel</button>
        {available.columns !== null ? (
          <button type="button" className="primary" onClick={() => onDone(current)} data-testid="column-selector-done">
            OK
          </button>
        ) : null}
      </footer>
    </div>
  );
}
