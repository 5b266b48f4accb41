// The web service pages' bundle. A service's page: new keys, key regeneration, adding and deleting endpoints
// (webservice/servicePage.ts), and for a retraining service the Retrain panel (webservice/retrain.ts). An
// endpoint's page: its settings (webservice/endpointSettings.ts), the Test form (webservice/testForm.ts), usage
// over time with the request log and batch jobs, from the studio API (charts with Vega-Lite, loaded on first
// use), and its Update Resource section (webservice/endpointManage.ts). Every time shown in the browser's zone.
import type { VisualizationSpec } from "vega-embed";

import { getJSON, pageCsrfToken, setCsrfToken } from "./api/client";
import { element } from "./webservice/dom";
import { mountEndpointManage } from "./webservice/endpointManage";
import { mountEndpointSettings } from "./webservice/endpointSettings";
import { localizeTimes, timeElement } from "./webservice/localTime";
import { mountRetraining } from "./webservice/retrain";
import { mountServicePage } from "./webservice/servicePage";
import { mountTestForm, type Column } from "./webservice/testForm";
import { renderChart } from "./visualize/embed";

interface Usage {
  trace_level: string;
  calls: number;
  errors: number;
  studio_calls: number;
  buckets: { minute: string; calls: number; errors: number; mean_ms: number | null; p50_ms: number | null;
             p95_ms: number | null }[];
  requests: { time: string; status: number; duration_ms: number; repeats: number; last_time: string; request: string;
              response: string; source: string }[];
  jobs: { id: string; status: string; rows: number; chunks: number; chunks_done: number; created: string;
          details: string }[];
}

const TRACE = { All: "every call", Error: "failures" } as Record<string, string>;
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

export function usageSummary(usage: Usage): string {
  const fromForm = usage.studio_calls ? `, ${usage.studio_calls} of them from the Test form` : "";
  return `${plural(usage.calls, "call")}, ${plural(usage.errors, "error")} in the last hour${fromForm} ` +
    `(request log: ${TRACE[usage.trace_level] ?? "off"})`;
}

function usageSpec(usage: Usage): VisualizationSpec {
  // Vega-Lite reads the ISO instants and draws them in the browser's time zone (its default, local, scale).
  const values = usage.buckets.flatMap((b) => [
    { minute: b.minute, measure: "calls", value: b.calls },
    { minute: b.minute, measure: "errors", value: b.errors },
    { minute: b.minute, measure: "p50 ms", value: b.p50_ms },
    { minute: b.minute, measure: "p95 ms", value: b.p95_ms },
  ]).filter((row) => row.value !== null && Number.isFinite(row.value));
  return {
    width: 520, height: 140, data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "minute", type: "temporal", title: "minute (your time zone)", axis: { format: "%H:%M" } },
      y: { field: "value", type: "quantitative", title: null, axis: { format: "~g" } },
      color: { field: "measure", type: "nominal" },
      row: { field: "measure", type: "nominal", sort: ["calls", "errors", "p50 ms", "p95 ms"], header: null },
    },
    resolve: { scale: { y: "independent" } },
  } as VisualizationSpec;
}

function cellWith(...children: (Node | string)[]): HTMLTableCellElement {
  const cell = element("td");
  cell.append(...children);
  return cell;
}

function jobRows(usage: Usage): HTMLElement[] {
  return usage.jobs.map((job) => {
    const row = element("tr", "", { "data-testid": `job-${job.id}` });
    const progress = element("progress", "", { max: String(job.chunks || 1), value: String(job.chunks_done) });
    row.append(cellWith(timeElement(job.created)), element("td", job.id.slice(0, 8)), element("td", job.status),
               element("td", String(job.rows)), cellWith(progress, element("small", ` ${job.chunks_done}/${job.chunks} chunks`)),
               element("td", job.details));
    return row;
  });
}

function logRows(usage: Usage): HTMLElement[] {
  return usage.requests.map((entry) => {
    const row = element("tr");
    // Identical failures within a minute share a row: "400 ×57 (last 12:03:07)".
    const status = cellWith(String(entry.status));
    if (entry.repeats > 1) status.append(` ×${entry.repeats} (last `, timeElement(entry.last_time), ")");
    if (entry.source === "studio") status.append(" ", element("small", "Test form", { class: "status" }));
    const details = element("details");
    details.append(element("summary", "bodies"), element("pre", entry.request), element("pre", entry.response));
    row.append(cellWith(timeElement(entry.time)), status, element("td", String(entry.duration_ms)), cellWith(details));
    return row;
  });
}

async function showUsage(root: HTMLElement, api: string) {
  const usage = await getJSON<Usage>(api);
  const summary = root.querySelector<HTMLElement>("[data-testid=usage-summary]");
  if (summary) summary.textContent = usageSummary(usage);
  const chart = root.querySelector<HTMLElement>("[data-testid=usage-chart]");
  if (chart && usage.buckets.length) await renderChart(chart, usageSpec(usage));
  root.querySelector<HTMLElement>("[data-testid=batch-jobs] tbody")?.replaceChildren(...jobRows(usage));
  root.querySelector<HTMLElement>("[data-testid=request-log] tbody")?.replaceChildren(...logRows(usage));
}

const USAGE_WRITTEN_MS = 1500; // the server writes usage within a second of a call
const csrf = pageCsrfToken();
setCsrfToken(csrf);
localizeTimes(document.body);

const newKeys = document.querySelector<HTMLElement>("[data-testid=new-keys]");
const serviceStatus = document.querySelector<HTMLElement>("[data-testid=web-service-status]");
if (newKeys !== null && serviceStatus !== null) mountServicePage(newKeys, serviceStatus);

const settings = document.querySelector<HTMLFormElement>("form#endpoint-settings");
const settingsStatus = document.querySelector<HTMLElement>("[data-testid=settings-status]");
if (settings !== null && settingsStatus !== null) mountEndpointSettings(settings, settingsStatus);

const page = document.getElementById("endpoint-page");
if (page !== null) {
  const schema = JSON.parse(document.getElementById("input-schema")?.textContent ?? "{}") as Record<string, Column[]>;
  const sample = JSON.parse(document.getElementById("input-sample")?.textContent ?? "{}") as
    Parameters<typeof mountTestForm>[3];
  const usageApi = page.dataset.usageApi ?? "";
  mountTestForm(page, page.dataset.testApi ?? "", schema, sample,
                () => { window.setTimeout(() => void showUsage(page, usageApi), USAGE_WRITTEN_MS); });
  void showUsage(page, usageApi);
}

const manage = document.getElementById("endpoint-manage");
if (manage !== null) mountEndpointManage(manage);

const retrain = document.getElementById("retrain");
if (retrain !== null) mountRetraining(retrain, csrf);
