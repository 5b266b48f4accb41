// Live run status from the experiment's WebSocket (SPEC §2), resynced from GET /api/runs/{id}/ on (re)connect.
import { useEffect, useRef, useState } from "react";

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

const RECONNECT_MS = 1000;

export function useLiveRun(experimentId: number, lastRun: number | null): [RunState, (state: RunState) => void] {
  const [state, setState] = useState<RunState>(idle);
  const runRef = useRef<number | null>(lastRun);
  runRef.current = state.run ?? lastRun;

  useEffect(() => {
    let socket: WebSocket | null = null;
    let closed = false;
    const resync = () => {
      if (runRef.current !== null) {
        getJSON<Run>(`/api/runs/${runRef.current}/`).then((run) => setState(fromRun(run)), () => undefined);
      }
    };
    const open = () => {
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      socket = new WebSocket(`${scheme}://${window.location.host}/ws/experiments/${experimentId}/`);
      socket.onopen = resync;
      socket.onmessage = (message: MessageEvent<string>) => {
        setState((before) => applyEvent(before, JSON.parse(message.data) as LiveEvent));
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
