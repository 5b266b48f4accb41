// An endpoint's Update Resource section: the model history with Roll back, and scheduled retraining with
// its attempts. Everything goes through the studio API (session + CSRF).
(function () {
  "use strict";
  const root = document.getElementById("endpoint-manage");
  if (!root) return;
  const base = `/api/web-services/${root.dataset.service}/endpoints/${encodeURIComponent(root.dataset.endpoint)}`;
  const status = root.querySelector("[data-testid=manage-status]");

  function cell(row, text, attributes = {}) {
    const td = document.createElement("td");
    td.textContent = text;
    for (const [name, value] of Object.entries(attributes)) td.setAttribute(name, value);
    row.append(td);
    return td;
  }

  // An instant as <time datetime>: the page's bundle (frontend/src/webservice/localTime.ts) shows it in the
  // browser's time zone.
  function when(iso) {
    const time = document.createElement("time");
    time.dateTime = iso;
    time.textContent = `${iso.replace("T", " ").slice(0, 19)} UTC`;
    return time;
  }

  function button(label, attributes, onClick) {
    const made = document.createElement("button");
    made.type = "button";
    made.textContent = label;
    for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
    made.addEventListener("click", onClick);
    return made;
  }

  async function call(method, url, body) {
    const { ok, status: code, answer } = await window.studioApi.send(method, url, body);
    if (!ok) throw new Error(answer.detail || `The studio answered ${code}.`);
    return answer;
  }

  const metricsText = (metrics) => Object.entries(metrics || {})
    .filter(([, value]) => typeof value === "number")
    .slice(0, 3).map(([name, value]) => `${name} ${value.toFixed(4)}`).join(", ");

  async function history() {
    const body = await call("GET", `${base}/resources/`);
    const rows = root.querySelector("[data-testid=resource-history] tbody");
    rows.replaceChildren();
    for (const entry of body.history) {
      const row = document.createElement("tr");
      const since = entry.created.replace("T", " ").slice(0, 19);  // in UTC: exact, whatever the browser's zone
      row.setAttribute("data-testid", `version-${entry.how}${entry.active ? "-active" : ""}`);
      cell(row, "").append(when(entry.created));
      cell(row, entry.active ? `${entry.how} (serving)` : entry.how);
      cell(row, entry.source);
      cell(row, metricsText(entry.metrics));
      cell(row, entry.sha256.slice(0, 12));
      const actions = cell(row, "");
      if (!entry.active && root.dataset.default === "false") {
        actions.append(button("Roll back", { "data-testid": `rollback-${entry.id}` }, async () => {
          // Name the version it goes back to, as the history shows it, before anything changes.
          const metrics = metricsText(entry.metrics);
          if (!confirm(`Roll back the endpoint ${root.dataset.endpoint} to the ${entry.how} model of ${since} UTC ` +
                       `(sha256 ${entry.sha256.slice(0, 12)}${metrics ? `, ${metrics}` : ""})? It is served from the ` +
                       "next request; the model served now stays in the history.")) return;
          try {
            await call("POST", `${base}/rollback/`, { version: entry.id });
            status.replaceChildren(`Serving the ${entry.how} model of `, when(entry.created), " again.");
            await history();
          } catch (error) { status.textContent = error.message; }
        }));
      }
      rows.append(row);
    }
  }

  async function schedules() {
    const table = root.querySelector("[data-testid=schedules] tbody");
    if (!table) return;
    const list = await call("GET", `${base}/schedules/`);
    table.replaceChildren();
    for (const schedule of list) {
      const row = document.createElement("tr");
      cell(row, schedule.cron);
      cell(row, schedule.input);
      cell(row, `${schedule.metric}, margin ${schedule.margin}`);
      const attempts = cell(row, "");
      for (const attempt of schedule.attempts.slice(0, 5)) {
        const line = document.createElement("div");
        line.setAttribute("data-testid", `attempt-${attempt.outcome}`);
        line.append(when(attempt.started), ` ${attempt.outcome}: ${attempt.message || "running…"}`);
        attempts.append(line);
      }
      const actions = cell(row, "");
      actions.append(button("Run now", {}, async () => {
        try { await call("POST", `${base}/schedules/${schedule.id}/run/`); await schedules(); }
        catch (error) { status.textContent = error.message; }
      }));
      actions.append(button("Delete", {}, async () => {
        try { await call("DELETE", `${base}/schedules/${schedule.id}/`); await schedules(); }
        catch (error) { status.textContent = error.message; }
      }));
      table.append(row);
    }
    if (list.some((s) => s.attempts.some((a) => a.outcome === "running"))) setTimeout(() => schedules().then(history), 3000);
  }

  const form = root.querySelector("[data-testid=schedule-form]");
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      await call("POST", `${base}/schedules/`, {
        cron: data.get("cron"), retraining_service: Number(data.get("retraining_service")),
        input: data.get("input"), metric: data.get("metric"), margin: Number(data.get("margin")) });
      status.textContent = "Schedule added.";
      await schedules();
    } catch (error) { status.textContent = error.message; }
  });

  history().catch((error) => { status.textContent = error.message; });
  schedules().catch((error) => { status.textContent = error.message; });
})();
