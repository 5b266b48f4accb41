// Whether runs can reach a worker right now, from /healthz (database, Redis, worker). Checked when the
// canvas opens, when a run starts, and every 15 s while a run waits in the queue.
import { useEffect, useState } from "react";

interface Report { database?: string; redis?: string; worker?: string }

export function healthWarning(report: Report): string {
  if (report.redis && report.redis !== "ok") {
    return "The task queue (Redis) can't be reached: runs wait in the queue until it is back. " +
      "Deployed web services keep scoring.";
  }
  if (report.worker && report.worker !== "ok") return "No worker is answering: runs wait in the queue until one starts.";
  return "";
}

export function useWorkerWarning(runStatus: string | null, runId: number | null): string {
  const [warning, setWarning] = useState("");
  useEffect(() => {
    let stopped = false;
    const check = () => fetch("/healthz", { headers: { Accept: "application/json" } })
      .then((response) => response.json() as Promise<Report>)
      .then((report) => { if (!stopped) setWarning(healthWarning(report)); }, () => undefined);
    void check();
    const timer = runStatus === "queued" ? window.setInterval(() => void check(), 15000) : undefined;
    return () => { stopped = true; if (timer !== undefined) window.clearInterval(timer); };
  }, [runStatus, runId]);
  return warning;
}
