// The canvas toolbar: run, save, undo, layout, web service and run history commands over the experiment,
// and the line that says what state it is in, all on one line at any window width. The editor owns the state;
// this only renders and calls back.
import { useCallback, useLayoutEffect, useRef, useState } from "react";

import { getJSON } from "../api/client";
import type { Experiment } from "../api/types";
import type { RunState } from "../live";
import { DeployButton, SetUpMenu, useWebService, type SetUpResult } from "../webservice/SetUp";
import { SAVE_LABELS, type SaveStatus } from "./autosave";
import { ExportMenu } from "./ExportMenu";
import { OverflowBar, useDismiss, type BarItem } from "./OverflowBar";

interface RunSummary {
  id: number;
  status: string;
  created: string;
}

/** Run history: pick a past run to see its node states and outputs (the graph shown stays the current one). */
function RunHistory({ experimentId, current, onOpen }: { experimentId: number; current: number | null;
                                                        onOpen: (runId: number) => void }) {
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const load = () => void getJSON<RunSummary[]>(`/api/experiments/${experimentId}/runs/`).then(setRuns, () => undefined);
  return (
    <select aria-label="Run history" data-testid="run-history" value={current ?? ""} onFocus={load} onMouseDown={load}
            onChange={(event) => event.target.value && onOpen(Number(event.target.value))}>
      <option value="">Run history</option>
      {current !== null && !runs.some((r) => r.id === current) ? <option value={current}>Run {current}</option> : null}
      {runs.map((r) => (
        <option key={r.id} value={r.id}>Run {r.id} · {r.status} · {new Date(r.created).toLocaleString()}</option>
      ))}
    </select>
  );
}

export interface ToolbarProps {
  experiment: Experiment;
  run: RunState;
  saveStatus: SaveStatus;
  message: string;
  warning: string;
  canUndo: boolean;
  canRedo: boolean;
  canRunSelected: boolean;
  save: () => Promise<boolean>;
  onSaveAs: () => void;
  onRun: () => void;
  onRunSelected: () => void;
  onCancel: () => void;
  onUndo: () => void;
  onRedo: () => void;
  onLayout: () => void;
  onSetUp: (result: SetUpResult) => void;
  onMessage: (message: string) => void;
  onOpenRun: (runId: number) => void;
  /** What the canvas calls a node (its caption), for Set Up's choice between trained models. */
  describeNode: (nodeId: string) => string;
}

/** Save state, run status, messages and warnings on what is left of the line: one line, cut with "…" when
 *  long; the full text is the tooltip, a new message that is cut unfolds below the toolbar by itself, and a click
 *  (or the ⋯ button) unfolds or folds it. */
function StatusLine({ saveStatus, run, message, warning }: Pick<ToolbarProps, "saveStatus" | "run" | "message" | "warning">) {
  // "self": unfolded by itself over the panes, so clicks pass through it (and fold it); true: by the user
  const [open, setOpen] = useState<boolean | "self">(false);
  const [cut, setCut] = useState(false);
  const line = useRef<HTMLSpanElement>(null);  // cut when one of its parts ends in "…"
  const box = useRef<HTMLSpanElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(open !== false, box, close);
  // The newest message first: it is what the user just did or must fix; the run's state is also on its nodes.
  const status = [message, run.status ? `Run ${run.run}: ${run.status}` : ""].filter(Boolean).join(" · ");
  // A new message that doesn't fit unfolds by itself, once (a refusal cut to "Export as code: Run the exp…" is
  // a hidden error); any other change of the line folds it again.
  const unfolded = useRef("");
  useLayoutEffect(() => {
    const element = line.current;
    const isCut = () => element !== null && [...element.children]
      .some((part) => part.scrollWidth > part.clientWidth + 1);
    const now = isCut();
    setCut(now);
    const fresh = now && message !== "" && message !== unfolded.current;
    if (fresh) unfolded.current = message;
    setOpen(fresh ? "self" : false);
    if (element === null) return;
    const observer = new ResizeObserver(() => setCut(isCut()));
    observer.observe(element);
    return () => observer.disconnect();
  }, [status, warning, message]);
  return (
    <span className="toolbar__status" ref={box}>
      <span className="toolbar__state" data-testid="save-state" data-status={saveStatus}>{SAVE_LABELS[saveStatus]}</span>
      <span className="toolbar__line" ref={line} onClick={() => cut && setOpen(open === false)}>
        {warning ? (
          <span className="toolbar__warning" role="alert" data-testid="worker-warning" title={warning}>⚠ {warning}</span>
        ) : null}
        <span className="toolbar__message" role="status" data-testid="canvas-status" title={status}>{status}</span>
      </span>
      {cut ? (
        <button type="button" className="toolbar__unfold" aria-expanded={open !== false} data-testid="status-unfold"
                aria-label="Show the whole message" title="Show the whole message"
                onClick={() => setOpen(open !== true)}>⋯</button>
      ) : null}
      {open ? (
        <span className={open === "self" ? "toolbar__full toolbar__full--self" : "toolbar__full"} data-testid="status-full">
          {warning ? <span className="toolbar__full-warning">{warning}</span> : null}
          <span>{status}</span>
        </span>
      ) : null}
    </span>
  );
}

/** The experiment's commands on one line; what doesn't fit goes into "More ▾" (lowest priority first). */
export function Toolbar(props: ToolbarProps) {
  const { experiment, run } = props;
  const running = run.status === "running" || run.status === "queued";
  const service = useWebService({ experiment, save: props.save, onSetUp: props.onSetUp, onMessage: props.onMessage,
                                  describeNode: props.describeNode });
  const button = (key: string, priority: number, label: string, onClick: () => void,
                  extra: { disabled?: boolean; title?: string; aria?: string } = {}) => ({
    key, priority,
    node: (
      <button type="button" onClick={onClick} data-testid={`${key}-button`} disabled={extra.disabled}
              title={extra.title} aria-label={extra.aria}>{label}</button>
    ),
  });
  const items: BarItem[] = [
    button("run", 100, "Run", props.onRun, { title: "Save, then run what changed since the last run" }),
    ...(running ? [button("cancel", 99, "Cancel", props.onCancel, { title: "Cancel the run" })] : []),
    button("run-selected", 40, "Run selected", props.onRunSelected,
           { disabled: !props.canRunSelected, title: "Run the selected modules and what they need" }),
    button("save", 98, "Save", () => void props.save(), { title: "Save (Ctrl+S)" }),
    button("save-as", 50, "Save As", props.onSaveAs, { title: "Save a copy of this experiment under a new name" }),
    button("undo", 90, "↶", props.onUndo, { disabled: !props.canUndo, title: "Undo (Ctrl+Z)", aria: "Undo" }),
    button("redo", 89, "↷", props.onRedo, { disabled: !props.canRedo, title: "Redo (Ctrl+Y)", aria: "Redo" }),
    button("layout", 70, "Auto-layout", props.onLayout, { title: "Arrange the modules top to bottom" }),
    { key: "setup", priority: 80, node: <SetUpMenu service={service} /> },
    { key: "deploy", priority: 79, node: <DeployButton service={service} /> },
    { key: "history", priority: 75,
      node: <RunHistory experimentId={experiment.id} current={run.run} onOpen={props.onOpenRun} /> },
    { key: "export", priority: 45,
      node: <ExportMenu experimentId={experiment.id} save={props.save} onMessage={props.onMessage} /> },
  ];
  return (
    <OverflowBar
      items={items}
      lead={<strong className="toolbar__title" title={experiment.name}>{experiment.name}</strong>}
      tail={<StatusLine saveStatus={props.saveStatus} run={run} message={props.message} warning={props.warning} />} />
  );
}
