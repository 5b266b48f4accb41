// No lost work: every committed edit is saved a moment later (one save at a time, in order), and leaving the
// page never drops one — links and forms of the page wait for the save, and when the page goes away anyway
// (tab closed, address typed) the last graph is sent with a request that outlives the page and the browser
// asks before leaving while a save is pending or failed.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";

import { ApiError, sendJSON, sendWhileLeaving } from "../api/client";
import type { Experiment, Graph } from "../api/types";

export type SaveStatus = "saved" | "pending" | "saving" | "failed";

export const SAVE_DELAY_MS = 300;
const RETRY_MS = 5000;

export const SAVE_LABELS: Record<SaveStatus, string> = {
  saved: "Saved", pending: "Unsaved changes", saving: "Saving…", failed: "Not saved",
};

interface Options {
  url: string;
  graph: Graph;
  initial: Graph;
  onSaved: (body: Experiment) => void;
  onFailed: (message: string) => void;
}

export interface Autosave {
  status: SaveStatus;
  /** Save the newest graph now (after any save in flight); false when it could not be saved. */
  saveNow: () => Promise<boolean>;
  /** The graph the server last accepted (what its schemas and validation describe). */
  saved: Graph;
}

/** Whether a click on this link leaves the page for another page of the studio (which can wait for a save). */
export function leavesForStudioPage(link: HTMLAnchorElement, here: Location): boolean {
  if ((link.target && link.target !== "_self") || link.hasAttribute("download")) return false;
  const url = new URL(link.href, here.href);
  if (url.origin !== here.origin) return false;
  return !(url.pathname === here.pathname && url.search === here.search && url.hash !== "");
}

function plainLeftClick(event: MouseEvent): boolean {
  return event.button === 0 && !(event.metaKey || event.ctrlKey || event.shiftKey || event.altKey);
}

export function useAutosave({ url, graph, initial, onSaved, onFailed }: Options): Autosave {
  const latest = useRef(graph);
  const saved = useRef(initial);
  const flushed = useRef<Graph | null>(null);
  const chain = useRef<Promise<boolean>>(Promise.resolve(true));
  const callbacks = useRef({ onSaved, onFailed });
  const [savedGraph, setSavedGraph] = useState(initial);
  const [inFlight, setInFlight] = useState(0);
  const [failure, setFailure] = useState<{ graph: Graph; retry: boolean } | null>(null);
  useLayoutEffect(() => {
    latest.current = graph;
    callbacks.current = { onSaved, onFailed };
  });

  const send = useCallback(async (): Promise<boolean> => {
    const sending = latest.current;
    if (sending === saved.current) return true;
    setInFlight((n) => n + 1);
    try {
      const body = await sendJSON<Experiment>(url, "PATCH", { graph: sending });
      saved.current = sending;
      setSavedGraph(sending);
      setFailure(null);
      callbacks.current.onSaved(body);
      return true;
    } catch (error) {
      // A refusal (4xx) says what to fix; a network or server failure is tried again by itself.
      setFailure({ graph: sending, retry: !(error instanceof ApiError && error.status < 500) });
      callbacks.current.onFailed(error instanceof Error ? error.message : String(error));
      return false;
    } finally {
      setInFlight((n) => n - 1);
    }
  }, [url]);

  const saveNow = useCallback((): Promise<boolean> => {
    const next = chain.current.then(send);
    chain.current = next;
    return next;
  }, [send]);

  const dirty = graph !== savedGraph;
  useEffect(() => {
    // A new edit saves soon; the same graph again only after a failure that may pass (network, server).
    const delay = failure === null || failure.graph !== graph ? SAVE_DELAY_MS : failure.retry ? RETRY_MS : null;
    if (!dirty || delay === null) return;
    const timer = window.setTimeout(() => void saveNow(), delay);
    return () => window.clearTimeout(timer);
  }, [graph, dirty, failure, saveNow]);

  useLeaveGuard(url, latest, saved, flushed, saveNow);
  const status: SaveStatus = inFlight > 0 ? "saving" : failure !== null && dirty ? "failed" : dirty ? "pending" : "saved";
  return { status, saveNow, saved: savedGraph };
}

type GraphRef = { current: Graph };

function useLeaveGuard(url: string, latest: GraphRef, saved: GraphRef, flushed: { current: Graph | null },
                       saveNow: () => Promise<boolean>): void {
  useEffect(() => {
    const unsaved = () => latest.current !== saved.current;
    /** The last graph, sent so that it arrives even if the page is gone; false if it could not be sent. */
    const flush = (): boolean => {
      if (!unsaved() || flushed.current === latest.current) return true;
      const sent = sendWhileLeaving(url, "PATCH", { graph: latest.current });
      if (sent) flushed.current = latest.current;
      return sent;
    };
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (!unsaved()) return;
      flush();
      event.preventDefault();  // the browser asks "Leave site?" while the save is pending or failed
      event.returnValue = "";
    };
    const onHidden = () => {
      if (document.visibilityState === "hidden" && unsaved()) void saveNow();
    };
    const onClick = (event: MouseEvent) => {
      const link = event.target instanceof Element ? event.target.closest("a[href]") : null;
      if (!unsaved() || event.defaultPrevented || !plainLeftClick(event) || !(link instanceof HTMLAnchorElement)
          || !leavesForStudioPage(link, window.location)) return;
      event.preventDefault();
      void saveNow().then((ok) => {
        if (ok || window.confirm("Your last changes could not be saved. Leave this page anyway?")) {
          window.location.assign(link.href);
        }
      });
    };
    const onSubmit = (event: SubmitEvent) => {
      const form = event.target;
      if (!unsaved() || !(form instanceof HTMLFormElement) || form.closest("#canvas-root")) return;
      event.preventDefault();  // e.g. Sign out: save first, then submit
      void saveNow().then((ok) => {
        if (ok || window.confirm("Your last changes could not be saved. Continue anyway?")) form.submit();
      });
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    window.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", onHidden);
    document.addEventListener("click", onClick, true);
    document.addEventListener("submit", onSubmit, true);
    return () => {
      window.removeEventListener("beforeunload", onBeforeUnload);
      window.removeEventListener("pagehide", flush);
      document.removeEventListener("visibilitychange", onHidden);
      document.removeEventListener("click", onClick, true);
      document.removeEventListener("submit", onSubmit, true);
      if (unsaved()) void saveNow();  // the editor closes (another tab of the pair): its edits still go in
    };
  }, [url, latest, saved, flushed, saveNow]);
}
