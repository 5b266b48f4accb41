// The web service dashboard: show a new endpoint's keys once (handed over by the canvas through
// sessionStorage, never through the URL), copy buttons, and key regeneration through the studio API.
(function () {
  "use strict";
  const panel = document.querySelector("[data-testid=new-keys]");
  const status = document.querySelector("[data-testid=web-service-status]");
  const service = panel.dataset.service;

  function showKeys(keys, endpoint) {
    panel.querySelector("[data-key-endpoint]").textContent = endpoint;
    for (const input of panel.querySelectorAll("[data-key]")) {
      if (keys[input.dataset.key] !== undefined) input.value = keys[input.dataset.key];
      input.closest("p").hidden = keys[input.dataset.key] === undefined;
    }
    panel.hidden = false;
  }

  const stored = sessionStorage.getItem(`atelier-new-keys-${service}`);
  if (stored) {
    sessionStorage.removeItem(`atelier-new-keys-${service}`);
    const endpoint = JSON.parse(stored);
    showKeys(endpoint, endpoint.Name);
  }

  panel.addEventListener("click", (event) => {
    const which = event.target.dataset?.copy;
    if (!which) return;
    const input = panel.querySelector(`[data-key=${which}]`);
    navigator.clipboard?.writeText(input.value).then(() => { status.textContent = "Copied."; },
                                                     () => { input.select(); });
  });

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-regenerate]");
    if (!button) return;
    const which = button.dataset.regenerate;
    if (!confirm(`Replace the ${which} key of ${button.dataset.endpoint}? Clients using it will get 401.`)) return;
    const { ok, status: code, answer: body } = await window.studioApi.send(
      "POST", `/api/web-services/${service}/endpoints/${encodeURIComponent(button.dataset.endpoint)}/regenerate-key/`,
      { key: which });
    if (!ok) {
      status.textContent = body.detail || `Could not regenerate the key (${code}).`;
      return;
    }
    showKeys(body, button.dataset.endpoint);
    // The Key column shows the primary key's hint: the server sends the new one with the key.
    const hint = document.querySelector(`[data-testid="key-hint-${CSS.escape(button.dataset.endpoint)}"]`);
    if (hint && body.KeyHint) hint.textContent = body.KeyHint;
    status.textContent = `New ${which} key for ${button.dataset.endpoint}; copy it now.`;
  });
})();

// Add and delete endpoints (the studio API's versions of SPEC §3's management calls).
(function () {
  "use strict";
  const status = document.querySelector("[data-testid=web-service-status]");
  const service = document.querySelector("[data-testid=new-keys]").dataset.service;
  const endpointUrl = (name) => `/api/web-services/${service}/endpoints/${encodeURIComponent(name)}/`;
  const send = window.studioApi.send;

  const form = document.querySelector("[data-testid=add-endpoint-form]");
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const name = String(data.get("name"));
    const body = { Description: data.get("Description"), MaxConcurrentCalls: Number(data.get("MaxConcurrentCalls")),
                   DiagnosticsTraceLevel: data.get("DiagnosticsTraceLevel"), ThrottleLevel: data.get("ThrottleLevel") };
    const { ok, status: code, answer } = await send("PUT", endpointUrl(name), body);
    if (!ok) {
      status.textContent = answer.detail || `Could not add the endpoint (${code}).`;
      return;
    }
    if (answer.PrimaryKey) sessionStorage.setItem(`atelier-new-keys-${service}`, JSON.stringify(answer));
    window.location.reload();
  });

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-delete-endpoint]");
    if (!button) return;
    const name = button.dataset.deleteEndpoint;
    if (!confirm(`Delete the endpoint ${name}? Its URL and keys stop working.`)) return;
    const { ok, status: code, answer } = await send("DELETE", endpointUrl(name));
    if (!ok) {
      status.textContent = answer.detail || `Could not delete the endpoint (${code}).`;
      return;
    }
    button.closest("tr").remove();
    status.textContent = `Deleted the endpoint ${name}.`;
  });
})();
