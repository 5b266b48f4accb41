// What the selected module did in the run shown on the canvas: its status and time, and when it failed, its
// message and traceback in full (not only in the badge's tooltip), with the way to its output log.
import type { NodeState } from "../api/types";
import { duration, errorParts } from "./runInfo";

interface NodeRunSummaryProps {
  nodeId: string;
  state: NodeState;
  onOpenLog: () => void;
}

export function NodeRunSummary({ nodeId, state, onOpenLog }: NodeRunSummaryProps) {
  const ran = state.status !== "queued" && state.status !== "running";
  const error = errorParts(state.error, state.traceback);
  return (
    <section className={`node-run node-run--${state.status}`} aria-label="Last run" data-testid="node-run">
      <p className="node-run__status">
        Last run: <strong data-testid="node-run-status">{state.status}</strong>
        {ran && state.duration_ms != null ? ` in ${duration(state.duration_ms)}` : ""}
      </p>
      {state.status === "failed" && state.error ? (
        <div className="node-run__error" role="alert">
          <p className="node-run__headline" data-testid="node-error">{error.headline}</p>
          {error.more ? <pre>{error.more}</pre> : null}
          {state.traceback ? (
            <details open data-testid="node-traceback">
              <summary>Traceback</summary>
              <pre>{state.traceback}</pre>
            </details>
          ) : null}
        </div>
      ) : null}
      {state.status === "skipped" && state.error ? <p className="node-run__note">{state.error}</p> : null}
      {ran ? (
        <button type="button" className="properties__visualize" onClick={onOpenLog}
                data-testid={`view-output-log-${nodeId}`}>
          View output log
        </button>
      ) : null}
    </section>
  );
}
