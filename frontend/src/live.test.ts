import { describe, expect, it } from "vitest";

import type { Run } from "./api/types";
import { applyEvent, idle, mergeRun } from "./live";

const snapshot = (status: Run["status"], node: Run["nodes"][string]["status"]): Run =>
  ({ id: 7, experiment: 1, status, nodes: { n1: { status: node, progress: 0, error: null } } });

describe("live run state", () => {
  it("never lets a stale snapshot undo what the WebSocket already said", () => {
    let state = applyEvent({ ...idle, run: 7, status: "queued" }, { type: "node", run: 7, node: "n1", status: "finished" });
    state = applyEvent(state, { type: "run", run: 7, status: "finished" });
    const merged = mergeRun(state, snapshot("queued", "queued"));  // read before the events, arrived after
    expect(merged.status).toBe("finished");
    expect(merged.nodes.n1?.status).toBe("finished");
  });

  it("takes a newer snapshot, and a snapshot of another run as it is", () => {
    const state = applyEvent({ ...idle, run: 7 }, { type: "node", run: 7, node: "n1", status: "running" });
    expect(mergeRun(state, snapshot("failed", "failed")).nodes.n1?.status).toBe("failed");
    expect(mergeRun({ ...idle, run: 6 }, snapshot("running", "queued")).run).toBe(7);
  });
});
