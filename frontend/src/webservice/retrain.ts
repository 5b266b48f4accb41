// Retraining in the page (a retraining web service's dashboard): upload training data to the workspace storage with
// a progress bar, run a batch job on it, watch it live, download its outputs, and apply the trained model to a
// non-default endpoint of a predictive service (Update Resource, refused as the server words it).
import { ApiError, deleteJSON, getJSON, sendJSON } from "../api/client";
import type { ModelVersion } from "../api/types";
import { button, element } from "./dom";
import { timeElement } from "./localTime";

interface Output { name: string; location: string; model: boolean; url: string | null }
export interface Job {
  id: string; StatusCode: string; Details: string; CreatedAt: string; StartTime: string | null;
  EndTime: string | null; rows: number; chunks: number; chunks_done: number; dispatched: boolean;
  inputs: Record<string, string>; outputs: Output[]; metrics: Record<string, unknown>;
}
interface Target {
  web_service: number; name: string; resource: string; linked: boolean; fits: boolean; reason: string;
  endpoints: string[];
}
interface Applied {
  web_service: number; name: string; endpoint: string; version: ModelVersion; history: ModelVersion[]; page: string;
}

const ENDED = ["Finished", "Failed", "Cancelled"];
const POLL_MS = 1000;

/** A storage location for an uploaded file: `training/` and the file's name in the characters storage allows. */
export function locationFor(fileName: string): string {
  const cleaned = fileName.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[^A-Za-z0-9]+/, "");
  return `training/${cleaned || "data.csv"}`;
}

/** What the progress bar and its line say about a job: [value, max] (null: indeterminate) and a sentence. */
export function progressOf(job: Job): { value: number | null; max: number; text: string } {
  if (job.StatusCode === "Finished") return { value: 1, max: 1, text: job.Details };
  if (ENDED.includes(job.StatusCode)) return { value: 0, max: 1, text: job.Details };
  if (!job.dispatched) return { value: null, max: 1, text: job.Details || "Waiting for a worker…" };
  if (job.chunks > 0) return { value: job.chunks_done, max: job.chunks, text: job.Details };
  return { value: null, max: 1, text: job.Details || "Training on a worker…" };
}

export function metricsText(metrics: Record<string, unknown>): string {
  return Object.entries(metrics).filter(([, value]) => typeof value === "number")
    .slice(0, 4).map(([name, value]) => `${name} ${(value as number).toFixed(4)}`).join(" · ");
}

function problem(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function upload(url: string, file: File, csrf: string, progress: (fraction: number) => void):
    Promise<{ status: number; message: string }> {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("PUT", url);
    request.setRequestHeader("X-CSRFToken", csrf);
    request.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress(event.loaded / event.total);
    });
    request.addEventListener("load", () => {
      let message = "";
      try {
        message = (JSON.parse(request.responseText) as { error?: { message?: string } }).error?.message ?? "";
      } catch { /* not JSON: the status says enough */ }
      resolve({ status: request.status, message });
    });
    request.addEventListener("error", () => resolve({ status: 0, message: "The upload was interrupted (the "
      + "connection closed); nothing was stored." }));
    request.send(file);
  });
}

class RetrainPanel {
  private readonly jobs: string;
  private current: Job | null = null;
  private timer: number | undefined;

  constructor(private readonly root: HTMLElement, private readonly csrf: string) {
    this.jobs = `/api/web-services/${root.dataset.service}/endpoints/${root.dataset.endpoint}/jobs/`;
  }

  private find<T extends HTMLElement>(testid: string): T {
    return this.root.querySelector(`[data-testid="${testid}"]`) as T;
  }

  private say(testid: string, text: string, failed = false): void {
    const line = this.find(testid);
    line.textContent = text;
    line.setAttribute("role", failed ? "alert" : "status");
    line.classList.toggle("error", failed);
  }

  mount(): void {
    const file = this.find<HTMLInputElement>("upload-file");
    const suggest = () => {
      if (file.files?.[0]) this.find<HTMLInputElement>("upload-location").value = locationFor(file.files[0].name);
    };
    file.addEventListener("change", suggest);
    // A file chosen while the page was still loading (before this listener) gets its location too.
    if (!this.find<HTMLInputElement>("upload-location").value) suggest();
    this.find<HTMLFormElement>("upload-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.upload(file.files?.[0]);
    });
    this.find<HTMLFormElement>("job-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit();
    });
    this.find<HTMLFormElement>("apply-form").addEventListener("submit", (event) => {
      event.preventDefault();
      void this.apply();
    });
    void this.recent();
  }

  private async upload(file: File | undefined): Promise<void> {
    const location = this.find<HTMLInputElement>("upload-location").value.trim();
    if (file === undefined || location === "") {
      this.say("upload-status", "Choose a file, and where to store it.", true);
      return;
    }
    const bar = this.find<HTMLProgressElement>("upload-progress");
    bar.hidden = false;
    bar.value = 0;
    const submit = this.find<HTMLButtonElement>("upload-submit");
    submit.disabled = true;
    const { status, message } = await upload(`${this.root.dataset.storage}${location}`, file, this.csrf, (fraction) => {
      bar.value = Math.round(fraction * 100);
      this.say("upload-status", `Uploading… ${bar.value} %`);
    });
    submit.disabled = false;
    if (status !== 201) {
      this.say("upload-status", message || `The storage answered ${status || "nothing"}; nothing was stored.`, true);
      return;
    }
    bar.value = 100;
    this.say("upload-status", `Uploaded ${location} (${(file.size / 1024).toFixed(0)} KiB) to the workspace storage.`);
    this.find<HTMLInputElement>("job-input").value = location;
  }

  private async submit(): Promise<void> {
    const location = this.find<HTMLInputElement>("job-input").value.trim();
    const inputs = Object.fromEntries((this.root.dataset.inputs ?? "input1").split(",")
      .map((name) => [name, { RelativeLocation: location }]));
    this.say("job-message", "Submitting…");
    try {
      this.watch(await sendJSON<Job>(this.jobs, "POST", { Inputs: inputs, GlobalParameters: {} }));
      this.say("job-message", "");
    } catch (error) {
      this.say("job-message", problem(error), true);
    }
  }

  private async recent(): Promise<void> {
    const jobs = await getJSON<Job[]>(this.jobs).catch(() => []);
    const table = this.find<HTMLTableSectionElement>("recent-jobs").querySelector("tbody");
    table?.replaceChildren(...jobs.map((job) => {
      const row = element("tr");
      const when = element("td");
      when.append(timeElement(job.CreatedAt));
      row.append(when, element("td", job.StatusCode), element("td", job.Details), element("td"));
      row.lastElementChild?.append(button("Show", { "data-testid": `show-job-${job.id}` }, () => this.watch(job)));
      return row;
    }));
    this.find("recent-jobs").hidden = jobs.length === 0;
    if (this.current === null && jobs[0] !== undefined) this.watch(jobs[0]);
  }

  private watch(job: Job): void {
    this.current = job;
    window.clearTimeout(this.timer);
    this.render(job);
    if (ENDED.includes(job.StatusCode)) {
      if (job.StatusCode === "Finished") void this.targets(job);
      void this.recent();
      return;
    }
    this.timer = window.setTimeout(() => {
      getJSON<Job>(`${this.jobs}${job.id}/`).then((next) => { if (this.current?.id === job.id) this.watch(next); },
                                                  (error: unknown) => this.say("job-message", problem(error), true));
    }, POLL_MS);
  }

  private render(job: Job): void {
    const view = this.find("job-view");
    view.hidden = false;
    const { value, max, text } = progressOf(job);
    const bar = element("progress", "", { max: String(max), "data-testid": "job-progress" });
    if (value !== null) bar.value = value;
    const status = element("span", job.StatusCode, { class: `status status--${job.StatusCode.toLowerCase()}`,
                                                     "data-testid": "job-status" });
    const head = element("p", "", { class: "job-head" });
    head.append(status, " job ", element("code", job.id.slice(0, 8)), " submitted ", timeElement(job.CreatedAt));
    if (job.EndTime) head.append(", ended ", timeElement(job.EndTime));
    if (!ENDED.includes(job.StatusCode)) {
      head.append(" ", button("Cancel", { class: "danger", "data-testid": "job-cancel" }, () => {
        deleteJSON(`${this.jobs}${job.id}/`).then(() => undefined, () => undefined);
      }));
    }
    const details = element("p", job.StatusCode === "Failed" ? `Failed: ${text}` : text,
                            { "data-testid": "job-details", ...(job.StatusCode === "Failed"
                              ? { role: "alert", class: "error" } : {}) });
    view.replaceChildren(head, bar, details, ...this.outputs(job));
    this.find("apply-step").hidden = job.StatusCode !== "Finished";
  }

  private outputs(job: Job): HTMLElement[] {
    if (job.StatusCode !== "Finished") return [];
    const list = element("ul", "", { class: "job-outputs" });
    for (const output of job.outputs) {
      const item = element("li");
      const link = element("a", output.location.split("/").pop() ?? output.location, {
        href: output.url ?? "#", download: "", "data-testid": `job-output-${output.name}` });
      item.append(link, element("small", ` ${output.model ? "trained model" : "evaluation / table"} · ${output.location}`));
      list.append(item);
    }
    const metrics = metricsText(job.metrics);
    return [list, ...(metrics ? [element("p", `Evaluation: ${metrics}`, { "data-testid": "job-metrics" })] : [])];
  }

  private async targets(job: Job): Promise<void> {
    const select = this.find<HTMLSelectElement>("apply-target");
    const submit = this.find<HTMLButtonElement>("apply-submit");
    let found: Target[];
    try {
      found = await getJSON<Target[]>(`${this.jobs}${job.id}/targets/`);
    } catch (error) {
      this.say("apply-message", problem(error), true);
      return;
    }
    select.replaceChildren(...found.map((target) => {
      const why = !target.fits ? ` — doesn't fit: ${target.reason}`
        : target.endpoints.length === 0 ? " — no endpoint to patch: add one on its page" : "";
      const group = element("optgroup", "", { label: `${target.name} (#${target.web_service})${target.linked
        ? ", trained by this experiment" : ""}${why}` });
      group.append(...(target.fits ? target.endpoints : []).map((name) =>
        element("option", `${name} — ${target.resource}`, { value: `${target.web_service}|${name}|${target.resource}` })));
      if (group.children.length === 0) group.append(element("option", "(none)", { disabled: "" }));
      return group;
    }));
    const usable = select.querySelector("option:not([disabled])");
    submit.disabled = usable === null;
    this.say("apply-message", usable === null ? "No predictive endpoint can take this model: add a non-default "
      + "endpoint to a predictive service it fits (on the service's page), then come back." : "");
  }

  private async apply(): Promise<void> {
    const job = this.current;
    const [service, endpoint, resource] = this.find<HTMLSelectElement>("apply-target").value.split("|");
    if (job === null || !service || !endpoint) return;
    this.say("apply-message", "Applying…");
    try {
      const applied = await sendJSON<Applied>(`${this.jobs}${job.id}/apply/`, "POST",
                                              { web_service: Number(service), endpoint, resource });
      this.showApplied(applied);
    } catch (error) {
      this.say("apply-message", error instanceof ApiError ? error.message : problem(error), true);
    }
  }

  private showApplied(applied: Applied): void {
    const message = this.find("apply-message");
    message.setAttribute("role", "status");
    message.classList.remove("error");
    const link = element("a", `${applied.endpoint}`, { href: applied.page, "data-testid": "applied-endpoint" });
    const metrics = metricsText(applied.version.metrics);
    message.replaceChildren("Endpoint ", link, ` of ${applied.name} now serves the model trained by job `
      + `${this.current?.id.slice(0, 8) ?? ""} (sha256 ${applied.version.sha256.slice(0, 12)}…${metrics ? `, ${metrics}`
      : ""}), since `, timeElement(applied.version.created), ".");
    const rows = this.find<HTMLTableElement>("apply-history");
    rows.hidden = false;
    rows.tBodies[0]?.replaceChildren(...applied.history.map((entry) => {
      const row = element("tr", "", { "data-testid": `applied-version-${entry.id}` });
      const since = element("td");
      since.append(timeElement(entry.created));
      row.append(since, element("td", entry.active ? `${entry.how} (serving)` : entry.how), element("td", entry.source),
                 element("td", entry.sha256.slice(0, 12)));
      return row;
    }));
  }
}

export function mountRetraining(root: HTMLElement, csrf: string): void {
  new RetrainPanel(root, csrf).mount();
}
