// An endpoint's settings on its dashboard page (description, throttle level, MaxConcurrentCalls, diagnostics
// trace): saved with the studio API's PUT, which validates them and names a field it refuses.
import { failureText, sendJSON } from "../api/client";
import type { EndpointInfo } from "../api/types";

/** The status line after a save. */
export function savedText(endpoint: EndpointInfo): string {
  return `Saved: at most ${endpoint.MaxConcurrentCalls} calls at once, throttle ${endpoint.ThrottleLevel}, ` +
    `trace ${endpoint.DiagnosticsTraceLevel}.`;
}

/** Save the settings form (its data-url is the endpoint's API address) and say how it went in `status`. */
export function mountEndpointSettings(form: HTMLFormElement, status: HTMLElement): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const fields = Object.fromEntries(new FormData(form));
    const body = { ...fields, MaxConcurrentCalls: Number(fields.MaxConcurrentCalls) };
    status.textContent = "Saving…";
    sendJSON<EndpointInfo>(form.dataset.url ?? "", "PUT", body).then(
      (endpoint) => { status.textContent = savedText(endpoint); },
      (error: unknown) => { status.textContent = failureText(error, (code) => `The studio answered ${code}.`); });
  });
}
