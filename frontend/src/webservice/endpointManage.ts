// An endpoint's Update Resource section: the model history with Roll back, and scheduled retraining with its
// attempts. Everything goes through the studio API (session + CSRF).
import { deleteJSON, failureText, getJSON, sendJSON } from "../api/client";
import type { ModelVersion, RetrainingSchedule } from "../api/types";
import { button, element } from "./dom";
import { timeElement } from "./localTime";

const RUNNING_POLL_MS = 3000;

/** Up to three numeric metrics, as the history's Metrics column shows them. */
export function metricsText(metrics: Record<string, unknown> | null | undefined): string {
  return Object.entries(metrics ?? {})
    .filter((entry): entry is [string, number] => typeof entry[1] === "number")
    .slice(0, 3).map(([name, value]) => `${name} ${value.toFixed(4)}`).join(", ");
}

/** What Roll back asks, naming the version it goes back to as the history shows it (in UTC: exact, whatever
 *  the browser's zone). */
export function rollbackQuestion(endpoint: string, version: ModelVersion): string {
  const since = version.created.replace("T", " ").slice(0, 19);
  const metrics = metricsText(version.metrics);
  return `Roll back the endpoint ${endpoint} to the ${version.how} model of ${since} UTC ` +
    `(sha256 ${version.sha256.slice(0, 12)}${metrics ? `, ${metrics}` : ""})? It is served from the ` +
    "next request; the model served now stays in the history.";
}

const failure = (error: unknown) => failureText(error, (code) => `The studio answered ${code}.`);

function cell(row: HTMLElement, ...children: (Node | string)[]): HTMLTableCellElement {
  const td = element("td");
  td.append(...children);
  row.append(td);
  return td;
}

class EndpointManage {
  private readonly base: string;
  private readonly status: HTMLElement | null;

  constructor(private readonly root: HTMLElement) {
    this.base = `/api/web-services/${root.dataset.service}/endpoints/${encodeURIComponent(root.dataset.endpoint ?? "")}`;
    this.status = root.querySelector<HTMLElement>("[data-testid=manage-status]");
  }

  mount(): void {
    const form = this.root.querySelector<HTMLFormElement>("[data-testid=schedule-form]");
    form?.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.addSchedule(form);
    });
    this.history().catch((error: unknown) => this.say(failure(error)));
    this.schedules().catch((error: unknown) => this.say(failure(error)));
  }

  private say(...parts: (Node | string)[]): void {
    this.status?.replaceChildren(...parts);
  }

  private async history(): Promise<void> {
    const body = await getJSON<{ history: ModelVersion[]; lineage?: string }>(`${this.base}/resources/`);
    const rows = this.root.querySelector("[data-testid=resource-history] tbody");
    rows?.replaceChildren(...body.history.map((version) => this.versionRow(version)));
    this.lineage(body.lineage);
  }

  /** The page's lineage line follows a rollback or a patch made here; the details shown with the page, now
   *  those of another model, are folded away until the page is loaded again. */
  private lineage(line: string | undefined): void {
    const shown = document.querySelector<HTMLElement>("[data-testid=endpoint-lineage] [data-lineage-line]");
    if (!shown || line === undefined || shown.textContent === line) return;
    shown.textContent = line;
    const details = document.querySelector<HTMLElement>("[data-testid=lineage-details-endpoint]");
    if (details) details.hidden = true;
  }

  private versionRow(version: ModelVersion): HTMLElement {
    const row = element("tr", "", { "data-testid": `version-${version.how}${version.active ? "-active" : ""}` });
    cell(row, timeElement(version.created));
    cell(row, version.active ? `${version.how} (serving)` : version.how);
    cell(row, version.source);
    cell(row, metricsText(version.metrics));
    cell(row, version.sha256.slice(0, 12));
    const actions = cell(row);
    if (!version.active && this.root.dataset.default === "false") {
      actions.append(button("Roll back", { "data-testid": `rollback-${version.id}` }, () => void this.rollBack(version)));
    }
    return row;
  }

  private async rollBack(version: ModelVersion): Promise<void> {
    if (!confirm(rollbackQuestion(this.root.dataset.endpoint ?? "", version))) return;
    try {
      await sendJSON(`${this.base}/rollback/`, "POST", { version: version.id });
      this.say(`Serving the ${version.how} model of `, timeElement(version.created), " again.");
      await this.history();
    } catch (error) { this.say(failure(error)); }
  }

  private async schedules(): Promise<void> {
    const table = this.root.querySelector("[data-testid=schedules] tbody");
    if (!table) return;
    const list = await getJSON<RetrainingSchedule[]>(`${this.base}/schedules/`);
    table.replaceChildren(...list.map((schedule) => this.scheduleRow(schedule)));
    if (list.some((s) => s.attempts.some((a) => a.outcome === "running"))) {
      window.setTimeout(() => void this.schedules().then(() => this.history()), RUNNING_POLL_MS);
    }
  }

  private scheduleRow(schedule: RetrainingSchedule): HTMLElement {
    const row = element("tr");
    cell(row, schedule.cron);
    cell(row, schedule.input);
    cell(row, `${schedule.metric}, margin ${schedule.margin}`);
    const attempts = cell(row);
    for (const attempt of schedule.attempts.slice(0, 5)) {
      const line = element("div", "", { "data-testid": `attempt-${attempt.outcome}` });
      line.append(timeElement(attempt.started), ` ${attempt.outcome}: ${attempt.message || "running…"}`);
      attempts.append(line);
    }
    cell(row, button("Run now", {}, () => void this.refreshAfter(sendJSON(`${this.base}/schedules/${schedule.id}/run/`, "POST"))),
         button("Delete", {}, () => void this.refreshAfter(deleteJSON(`${this.base}/schedules/${schedule.id}/`))));
    return row;
  }

  private async refreshAfter(call: Promise<unknown>): Promise<void> {
    try {
      await call;
      await this.schedules();
    } catch (error) { this.say(failure(error)); }
  }

  private async addSchedule(form: HTMLFormElement): Promise<void> {
    const data = new FormData(form);
    try {
      await sendJSON(`${this.base}/schedules/`, "POST", {
        cron: data.get("cron"), retraining_service: Number(data.get("retraining_service")),
        input: data.get("input"), metric: data.get("metric"), margin: Number(data.get("margin")) });
      this.say("Schedule added.");
      await this.schedules();
    } catch (error) { this.say(failure(error)); }
  }
}

/** Fill and wire an endpoint's Update Resource section (`#endpoint-manage`). */
export function mountEndpointManage(root: HTMLElement): void {
  new EndpointManage(root).mount();
}
