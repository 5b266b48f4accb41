// An endpoint's settings on its dashboard page (description, throttle level, MaxConcurrentCalls, diagnostics
// trace): saved with the studio API's PUT, which validates them and names a field it refuses.
(function () {
  "use strict";
  const form = document.getElementById("endpoint-settings");
  if (!form) return;
  const status = document.querySelector("[data-testid=settings-status]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(form));
    const body = { ...fields, MaxConcurrentCalls: Number(fields.MaxConcurrentCalls) };
    status.textContent = "Saving…";
    const { ok, status: code, answer } = await window.studioApi.send("PUT", form.dataset.url, body);
    status.textContent = ok ? `Saved: at most ${answer.MaxConcurrentCalls} calls at once, throttle ${answer.ThrottleLevel}, ` +
      `trace ${answer.DiagnosticsTraceLevel}.` : (answer.detail || `The studio answered ${code}.`);
  });
})();
