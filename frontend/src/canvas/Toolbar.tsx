// The canvas toolbar: run, save, undo, layout, web service and run history commands over the experiment,
// and the line that says what state it is in. The editor owns the state; this only renders and calls back.
import { useState } from "react";

import { getJSON } from "../api/client";
import type { Experiment } from "../api/types";
import type { RunState } from "../live";
import { WebServiceButtons, type SetUpResult } from "../webservice/SetUp";

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
  dirty: boolean;
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
}

export function Toolbar(props: ToolbarProps) {
  const { experiment, run, dirty, message, warning } = props;
  const running = run.status === "running" || run.status === "queued";
  return (
    <div className="toolbar" role="toolbar" aria-label="Experiment">
      <strong className="toolbar__title">{experiment.name}</strong>
      <button type="button" onClick={() => void props.save()} data-testid="save-button">Save</button>
      <button type="button" onClick={props.onSaveAs} data-testid="save-as-button">Save As</button>
      <button type="button" onClick={props.onRun} data-testid="run-button">Run</button>
      <button type="button" onClick={props.onRunSelected} disabled={!props.canRunSelected}
              data-testid="run-selected-button">Run selected</button>
      <button type="button" onClick={props.onCancel} disabled={!running}>Cancel</button>
      <button type="button" onClick={props.onUndo} disabled={!props.canUndo} data-testid="undo-button">Undo</button>
      <button type="button" onClick={props.onRedo} disabled={!props.canRedo} data-testid="redo-button">Redo</button>
      <button type="button" data-testid="layout-button" onClick={props.onLayout}>Auto-layout</button>
      <WebServiceButtons experiment={experiment} save={props.save} onSetUp={props.onSetUp} onMessage={props.onMessage} />
      <RunHistory experimentId={experiment.id} current={run.run} onOpen={props.onOpenRun} />
      <span className="toolbar__state" data-testid="save-state">{dirty ? "Unsaved changes" : "Saved"}</span>
      <span className="toolbar__message" role="status" data-testid="canvas-status">
        {run.status ? `Run ${run.run}: ${run.status}` : ""} {message}
      </span>
      {warning && <span className="toolbar__warning" role="alert" data-testid="worker-warning">{warning}</span>}
    </div>
  );
}
