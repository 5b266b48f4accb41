// Every time on the web service pages is shown in the browser's time zone. The server sends ISO-8601 UTC; pages
// write <time datetime="…">…UTC</time> and this rewrites each one, now and whenever one is added, keeping the
// UTC instant in its title.

const format = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit",
  timeZoneName: "short",
});

/** An ISO-8601 instant as the browser's local date and time, with its zone ("31 Jan 2025, 17:33:07 GMT+5:30"). */
export function localTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : format.format(date);
}

/** A <time> element for an instant: local text, the UTC instant in `datetime` and in its tooltip. */
export function timeElement(iso: string): HTMLTimeElement {
  const made = document.createElement("time");
  made.dateTime = iso;
  localize(made);
  return made;
}

function localize(time: HTMLTimeElement): void {
  if (time.dataset.local === "done" || !time.dateTime) return;
  const date = new Date(time.dateTime);
  if (Number.isNaN(date.getTime())) return;
  time.textContent = format.format(date);
  time.title = `${date.toISOString().replace("T", " ").slice(0, 19)} UTC`;
  time.dataset.local = "done";
}

/** Rewrite the <time datetime> elements under `root`, and those added later (by the pages' scripts). */
export function localizeTimes(root: HTMLElement): void {
  root.querySelectorAll<HTMLTimeElement>("time[datetime]").forEach(localize);
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (node instanceof HTMLTimeElement) localize(node);
        else if (node instanceof HTMLElement) node.querySelectorAll<HTMLTimeElement>("time[datetime]").forEach(localize);
      }
    }
  }).observe(root, { childList: true, subtree: true });
}
