// The web service dashboard: show a new endpoint's keys once (handed over by the canvas through
// sessionStorage, never through the URL), copy buttons, and key regeneration through the studio API.
(function () {
  "use strict";
  const panel = document.querySelector("[data-testid=new-keys]");
  const status = document.querySelector("[data-testid=web-service-status]");
  const service = panel.dataset.service;
  const csrf = document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";

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
    const response = await fetch(`/api/web-services/${service}/endpoints/${encodeURIComponent(button.dataset.endpoint)}/regenerate-key/`, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify({ key: which }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      status.textContent = body.detail || `Could not regenerate the key (${response.status}).`;
      return;
    }
    showKeys(body, button.dataset.endpoint);
    status.textContent = `New ${which} key for ${button.dataset.endpoint}; copy it now.`;
  });
})();
