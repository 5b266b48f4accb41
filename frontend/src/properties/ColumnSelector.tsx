// The column selector dialog, as in the classic studio: pick columns by name, or build include/exclude
// rules by name, type or kind starting from all or no columns, with a live preview of what they select.
import { useState } from "react";

import {
  byNames, plainNames, resolve, ruleItems, withItems,
  type Rule, type RuleBy, type Selection, type SelectorColumn,
} from "./selection";

export type UpstreamColumn = SelectorColumn;

interface ColumnSelectorProps {
  title: string;
  columns: UpstreamColumn[];
  value: Selection;
  single: boolean;
  types: string[];
  kinds: string[];
  onDone: (selection: Selection) => void;
  onCancel: () => void;
}

function NamesView({ columns, picked, single, setPicked }: {
  columns: UpstreamColumn[]; picked: string[]; single: boolean; setPicked: (names: string[]) => void;
}) {
  const [filter, setFilter] = useState("");
  const toggle = (name: string) =>
    setPicked(single ? [name] : picked.includes(name) ? picked.filter((n) => n !== name) : [...picked, name]);
  const shown = columns.filter((c) => c.name.toLowerCase().includes(filter.toLowerCase()));
  return (
    <>
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
    </>
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

export function ColumnSelector({ title, columns, value, single, types, kinds, onDone, onCancel }: ColumnSelectorProps) {
  const initialNames = plainNames(value);
  const [mode, setMode] = useState<"names" | "rules">(single || initialNames !== null ? "names" : "rules");
  const [picked, setPicked] = useState<string[]>((initialNames ?? []).filter((n) => columns.some((c) => c.name === n)));
  const [rules, setRules] = useState<Selection>(value);
  const current = mode === "names" ? byNames(columns.map((c) => c.name).filter((n) => picked.includes(n))) : rules;
  const { chosen, missing } = resolve(current, columns);
  const setRule = (index: number, rule: Rule) =>
    setRules({ ...rules, rules: rules.rules.map((r, i) => (i === index ? rule : r)) });
  return (
    <div className="column-selector" role="dialog" aria-label={title} data-testid="column-selector">
      <h3>{title}</h3>
      {!single ? (
        <div className="column-selector__modes" role="tablist" aria-label="Select columns">
          <button type="button" role="tab" aria-selected={mode === "names"} onClick={() => setMode("names")}
                  data-testid="column-selector-by-name">By name</button>
          <button type="button" role="tab" aria-selected={mode === "rules"} data-testid="column-selector-with-rules"
                  onClick={() => { setRules(current); setMode("rules"); }}>With rules</button>
        </div>
      ) : null}
      {mode === "names" ? (
        <NamesView columns={columns} picked={picked} single={single} setPicked={setPicked} />
      ) : (
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
      )}
      <p className="column-selector__preview" data-testid="column-selector-preview" aria-live="polite">
        {chosen.length} of {columns.length} selected{chosen.length ? `: ${chosen.join(", ")}` : ""}
        {missing.length ? <strong> — not in the input: {missing.join(", ")}</strong> : null}
      </p>
      <footer>
        <button type="button" onClick={onCancel}>Cancel</button>
        <button type="button" className="primary" onClick={() => onDone(current)} data-testid="column-selector-done">
          OK
        </button>
      </footer>
    </div>
  );
}
