// Live run status from the experiment's WebSocket (SPEC §2), resynced from GET /api/runs/{id}/ on (re)connect.
import { useEffect, useRef, useState, type Dispatch, type SetStateAction } from "react";

import { getJSON } from "./api/client";
import type { LiveEvent, NodeState, Run } from "./api/types";

export interface RunState {
  run: number | null;
  status: Run["status"] | null;
  nodes: Record<string, NodeState>;
}

export const idle: RunState = { run: null, status: null, nodes: {} };

export function applyEvent(state: RunState, event: LiveEvent): RunState {
  if (event.type === "run") {
    const fresh = event.run !== state.run;
    return { run: event.run, status: event.status, nodes: fresh ? {} : state.nodes };
  }
  const nodes = event.run === state.run ? state.nodes : {};
  const before: NodeState = nodes[event.node] ?? { status: "queued", progress: 0, error: null };
  const after: NodeState = {
    ...before,
    status: event.status ?? before.status,
    progress: event.progress ?? before.progress,
    error: event.error ?? before.error,
  };
  return { run: event.run, status: state.run === event.run ? state.status : "running", nodes: { ...nodes, [event.node]: after } };
}

export function fromRun(run: Run): RunState {
  return { run: run.id, status: run.status, nodes: run.nodes };
}

const DONE = new Set(["finished", "cached", "failed", "skipped", "cancelled"]);
const rank = (status: string | null | undefined) => (status == null ? 0 : DONE.has(status) ? 3 : status === "running" ? 2 : 1);

/** A snapshot from GET /api/runs/{id}/ merged into what the WebSocket already said: a snapshot read before
 *  the last events can arrive after them, so it never moves the run or a node backwards. */
export function mergeRun(before: RunState, run: Run): RunState {
  if (before.run !== run.id) return fromRun(run);
  const nodes: Record<string, NodeState> = { ...run.nodes };
  for (const [id, seen] of Object.entries(before.nodes)) {
    const snapshot = nodes[id];
    if (snapshot === undefined || rank(seen.status) > rank(snapshot.status)) nodes[id] = seen;
  }
  const status = rank(before.status) > rank(run.status) ? before.status : run.status;
  return { run: run.id, status, nodes };
}

const RECONNECT_MS = 1000;

export function useLiveRun(experimentId: number, lastRun: number | null): [RunState, Dispatch<SetStateAction<RunState>>] {
  const [state, setState] = useState<RunState>(idle);
  const runRef = useRef<number | null>(lastRun);
  runRef.current = state.run ?? lastRun;

  useEffect(() => {
    let socket: WebSocket | null = null;
    let closed = false;
    const resync = () => {
      if (runRef.current !== null) {
        getJSON<Run>(`/api/runs/${runRef.current}/`).then((run) => setState((before) => mergeRun(before, run)),
                                                          () => undefined);
      }
    };
    const open = () => {
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${window.location.host}/ws/experiments/${experimentId}/`);
      socket.onopen = resync;
      socket.onmessage = (message: MessageEvent<string>) => {
        const event = JSON.parse(message.data) as LiveEvent;
        setState((before) => applyEvent(before, event));
        // Events carry states, not tracebacks and timings: read those once the run has ended.
        if (event.type === "run" && DONE.has(event.status)) {
          getJSON<Run>(`/api/runs/${event.run}/`).then((run) => setState((before) => mergeRun(before, run)), () => undefined);
        }
      };
      socket.onclose = () => {
        if (!closed) window.setTimeout(open, RECONNECT_MS);
      };
    };
    open();
    return () => {
      closed = true;
      socket?.close();
    };
  }, [experimentId]);

  return [state, setState];
}
