// Small formatters for run timings, in the browser's time zone.

/** A server time (UTC ISO-8601) as the browser's local date and time, or a dash. */
export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "—";
}

/** Milliseconds as people read them: "850 ms", "12.4 s", "3 min 05 s". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")} s`;
}

/** A module's error as a headline and the rest; the rest is left out where the traceback already shows it (a
 *  script's message ends with its traceback). */
export function errorParts(error: string | null | undefined, traceback: string | null | undefined): { headline: string; more: string } {
  const [headline = "", ...rest] = (error ?? "").split("\n");
  const more = rest.join("\n").trim();
  const shown = traceback && more && traceback.includes(more.split("\n")[0]?.trim() ?? "") ? "" : more;
  return { headline, more: shown };
}
