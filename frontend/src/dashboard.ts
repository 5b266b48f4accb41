// The web service endpoint page: the Test form (built from the input schema the page embeds), and usage
// over time with the request log, from the studio API. Charts with Vega-Lite, loaded on first use.
import type { VisualizationSpec } from "vega-embed";

import { getJSON, sendJSON, setCsrfToken, ApiError } from "./api/client";
import { renderChart } from "./visualize/embed";

interface Column {
  name: string;
  kind: string;
  optional?: boolean;
}

interface Usage {
  trace_level: string;
  calls: number;
  errors: number;
  buckets: { minute: string; calls: number; errors: number; mean_ms: number | null; p50_ms: number | null;
             p95_ms: number | null }[];
  requests: { time: string; status: number; duration_ms: number; repeats: number; last_time: string; request: string;
              response: string }[];
  jobs: { id: string; status: string; rows: number; chunks: number; chunks_done: number; created: string;
          details: string }[];
}

const page = document.getElementById("endpoint-page");

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text = "", attributes: Record<string, string> = {}) {
  const made = document.createElement(tag);
  made.textContent = text;
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  return made;
}

function testForm(root: HTMLElement, api: string, schema: Record<string, Column[]>,
                  sample: Record<string, { ColumnNames: string[]; Values: (string | null)[][] }>) {
  const form = root.querySelector<HTMLFormElement>("[data-testid=test-form]");
  const output = root.querySelector<HTMLElement>("[data-testid=test-result]");
  if (form === null || output === null) return;
  const fields = form.querySelector<HTMLElement>(".test-fields");
  for (const [input, columns] of Object.entries(schema)) {
    const rows = sample[input];
    for (const column of columns) {
      const index = rows?.ColumnNames.indexOf(column.name) ?? -1;
      const value = index >= 0 ? rows?.Values[0]?.[index] ?? "" : "";
      const label = element("label", `${column.name} `);
      label.append(element("small", column.optional ? `${column.kind}, optional` : column.kind));
      const field = element("input", "", { name: `${input}:${column.name}`, "data-testid": `test-input-${column.name}`,
                                           inputmode: column.kind === "numeric" ? "decimal" : "text" });
      field.value = value ?? "";
      label.append(field);
      fields?.append(label);
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const inputs: Record<string, { ColumnNames: string[]; Values: (string | null)[][] }> = {};
    for (const [input, columns] of Object.entries(schema)) {
      const given = columns.filter((c) => {
        const field = form.elements.namedItem(`${input}:${c.name}`) as HTMLInputElement | null;
        return !(c.optional && (field?.value ?? "") === "");
      });
      inputs[input] = {
        ColumnNames: given.map((c) => c.name),
        Values: [given.map((c) => (form.elements.namedItem(`${input}:${c.name}`) as HTMLInputElement).value || null)],
      };
    }
    output.textContent = "Scoring…";
    sendJSON<unknown>(api, "POST", { Inputs: inputs, GlobalParameters: {} })
      .then((body) => { output.textContent = JSON.stringify(body, null, 2); })
      .catch((error: unknown) => {
        const body = error instanceof ApiError ? error.body : null;
        output.textContent = body ? JSON.stringify(body, null, 2) : String(error);
      });
  });
}

function usageSpec(usage: Usage): VisualizationSpec {
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
      x: { field: "minute", type: "temporal", title: "minute" },
      y: { field: "value", type: "quantitative", title: null },
      color: { field: "measure", type: "nominal" },
      row: { field: "measure", type: "nominal", sort: ["calls", "errors", "p50 ms", "p95 ms"], header: null },
    },
    resolve: { scale: { y: "independent" } },
  } as VisualizationSpec;
}

async function showUsage(root: HTMLElement, api: string) {
  const summary = root.querySelector<HTMLElement>("[data-testid=usage-summary]");
  const chart = root.querySelector<HTMLElement>("[data-testid=usage-chart]");
  const log = root.querySelector<HTMLElement>("[data-testid=request-log] tbody");
  const usage = await getJSON<Usage>(api);
  if (summary) summary.textContent = `${usage.calls} calls, ${usage.errors} errors in the last hour ` +
    `(request log: ${usage.trace_level === "All" ? "every call" : usage.trace_level === "Error" ? "failures" : "off"})`;
  if (chart && usage.buckets.length) {
    await renderChart(chart, usageSpec(usage));
  }
  const jobs = root.querySelector<HTMLElement>("[data-testid=batch-jobs] tbody");
  if (jobs) {
    jobs.replaceChildren(...usage.jobs.map((job) => {
      const row = element("tr", "", { "data-testid": `job-${job.id}` });
      const progress = element("progress", "", { max: String(job.chunks || 1), value: String(job.chunks_done) });
      const cell = element("td");
      cell.append(progress, element("small", ` ${job.chunks_done}/${job.chunks} chunks`));
      row.append(element("td", job.created.replace("T", " ").slice(0, 19)), element("td", job.id.slice(0, 8)),
                 element("td", job.status), element("td", String(job.rows)), cell, element("td", job.details));
      return row;
    }));
  }
  if (log) {
    log.replaceChildren(...usage.requests.map((entry) => {
      const row = element("tr");
      // Identical failures within a minute share a row: "400 ×57 (last 12:03:07)".
      const repeated = entry.repeats > 1 ? ` ×${entry.repeats} (last ${entry.last_time.slice(11, 19)})` : "";
      row.append(element("td", entry.time.replace("T", " ").slice(0, 19)),
                 element("td", String(entry.status) + repeated), element("td", String(entry.duration_ms)));
      const details = element("details");
      details.append(element("summary", "bodies"), element("pre", entry.request), element("pre", entry.response));
      const cell = element("td");
      cell.append(details);
      row.append(cell);
      return row;
    }));
  }
}

if (page !== null) {
  setCsrfToken(page.dataset.csrfToken ?? "");
  const schema = JSON.parse(document.getElementById("input-schema")?.textContent ?? "{}") as Record<string, Column[]>;
  const sample = JSON.parse(document.getElementById("input-sample")?.textContent ?? "{}") as Parameters<typeof testForm>[3];
  testForm(page, page.dataset.testApi ?? "", schema, sample);
  void showUsage(page, page.dataset.usageApi ?? "");
}
