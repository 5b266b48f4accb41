// "View output log", as in the classic studio: one node's timings, its error and traceback, and what it printed,
// warned and logged while it ran (GET /api/runs/{run}/nodes/{node}/log/), with a download of the whole text.
import { useEffect, useMemo, useState } from "react";

import { getJSON } from "../api/client";
import type { NodeLog } from "../api/types";
import { duration, errorParts, when } from "./runInfo";

const STREAM_LABEL: Record<NodeLog["entries"][number]["stream"], string> = {
  stdout: "stdout", stderr: "stderr", warning: "warning", log: "module log", atelier: "note",
};

/** The log as one text file: the timings and error first, then every entry marked with its stream. */
export function logFile(log: NodeLog, title: string): string {
  const head = [
    `${title}, run ${log.run}: ${log.status}`,
    `Queued:   ${log.queued}`, `Started:  ${log.started ?? "—"}`, `Finished: ${log.finished ?? "—"}`,
    `Duration: ${duration(log.duration_ms)}`,
  ];
  const error = log.error ? ["", `Error: ${log.error}`, ...(log.traceback ? ["", log.traceback.trimEnd()] : [])] : [];
  return [...head, ...error, "", "Output:", log.text || "(nothing printed, warned or logged)", ""].join("\n");
}

function Timings({ log }: { log: NodeLog }) {
  return (
    <dl className="output-log__timings" data-testid="output-log-timings">
      <dt>Status</dt><dd>{log.status}</dd>
      <dt>Duration</dt><dd>{duration(log.duration_ms)}</dd>
      <dt>Queued</dt><dd>{when(log.queued)}</dd>
      <dt>Started</dt><dd>{when(log.started)}</dd>
      <dt>Finished</dt><dd>{when(log.finished)}</dd>
    </dl>
  );
}

function Entries({ log }: { log: NodeLog }) {
  if (log.entries.length === 0) {
    const why = log.status === "cached"
      ? (log.reused_from ? "That run printed, warned and logged nothing." : "Its outputs were reused from an earlier run whose log is no longer kept.")
      : log.status === "queued" || log.status === "running" ? "The log is written when the module ends."
      : "The module printed, warned and logged nothing.";
    return <p className="output-log__empty">{why}</p>;
  }
  return (
    <div className="output-log__entries" data-testid="output-log-entries">
      {log.entries.map((entry, index) => (
        <div key={index} className={`output-log__entry output-log__entry--${entry.stream}`}>
          <span className="output-log__stream">{STREAM_LABEL[entry.stream]}</span>
          <pre>{entry.text}</pre>
        </div>
      ))}
    </div>
  );
}

interface OutputLogProps {
  runId: number;
  nodeId: string;
  title: string;
  onClose: () => void;
}

export function OutputLog({ runId, nodeId, title, onClose }: OutputLogProps) {
  const [log, setLog] = useState<NodeLog | null>(null);
  const [failure, setFailure] = useState("");
  useEffect(() => {
    let live = true;
    getJSON<NodeLog>(`/api/runs/${runId}/nodes/${encodeURIComponent(nodeId)}/log/`).then(
      (body) => live && setLog(body),
      (error: unknown) => live && setFailure(error instanceof Error ? error.message : String(error)));
    return () => { live = false; };
  }, [runId, nodeId]);
  const download = useMemo(() => (log ? URL.createObjectURL(new Blob([logFile(log, title)], { type: "text/plain" })) : null),
                           [log, title]);
  useEffect(() => () => { if (download) URL.revokeObjectURL(download); }, [download]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => { if (event.key === "Escape") onClose(); };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  const error = log ? errorParts(log.error, log.traceback) : null;
  return (
    <section className="output-log" role="dialog" aria-label={`Output log of ${title}`} data-testid="output-log">
      <header>
        <h3>Output log · {title} · run {runId}</h3>
        {download ? <a href={download} download={`run-${runId}-${nodeId}.log`} data-testid="output-log-download">Download</a> : null}
        <button type="button" onClick={onClose} aria-label="Close the output log">×</button>
      </header>
      {failure ? <p role="alert">{failure}</p> : null}
      {log === null && !failure ? <p>Loading…</p> : null}
      {log !== null ? (
        <div className="output-log__body">
          <Timings log={log} />
          {log.reused_from ? (
            <p className="output-log__reused" data-testid="output-log-reused">
              Taken from the cache: the output below is from run {log.reused_from.run}, where this module last ran
              with the same inputs and parameters ({when(log.reused_from.finished)}).
            </p>
          ) : null}
          {log.error ? (
            <div className="output-log__error" data-testid="output-log-error">
              <strong>Error</strong>
              <p className="output-log__headline">{error?.headline}</p>
              {error?.more ? <pre>{error.more}</pre> : null}
              {log.traceback ? <pre className="output-log__traceback">{log.traceback}</pre> : null}
            </div>
          ) : null}
          <Entries log={log} />
        </div>
      ) : null}
    </section>
  );
}
