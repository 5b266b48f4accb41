// The studio API from the dashboard's plain scripts: JSON over fetch with the session and the CSRF token.
// Resolves to {ok, status, answer}; `answer` is the parsed body ({} for 204 or a body that isn't JSON).
window.studioApi = {
  async send(method, url, body) {
    const csrf = document.querySelector("[name=csrfmiddlewaretoken]")?.value || "";
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = response.status === 204 ? {} : await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, answer };
  },
};
