// The web service page: show a new endpoint's keys once (handed over by the canvas through sessionStorage,
// never through the URL), copy buttons, key regeneration, and adding and deleting endpoints (the studio API's
// versions of SPEC §3's management calls).
import { deleteJSON, failureText, sendJSON } from "../api/client";
import type { EndpointInfo } from "../api/types";

type Keys = Pick<EndpointInfo, "PrimaryKey" | "SecondaryKey">;

/** The storage item through which the canvas hands a new endpoint's keys to this page. */
export const newKeysItem = (service: string) => `atelier-new-keys-${service}`;

export const endpointUrl = (service: string, name: string) =>
  `/api/web-services/${service}/endpoints/${encodeURIComponent(name)}/`;

class ServicePage {
  private readonly service: string;

  constructor(private readonly panel: HTMLElement, private readonly status: HTMLElement) {
    this.service = panel.dataset.service ?? "";
  }

  mount(): void {
    const item = newKeysItem(this.service);
    const stored = sessionStorage.getItem(item);
    if (stored) {
      sessionStorage.removeItem(item);
      const endpoint = JSON.parse(stored) as EndpointInfo;
      this.showKeys(endpoint, endpoint.Name);
    }
    this.panel.addEventListener("click", (event) => this.copy(event));
    document.addEventListener("click", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const regenerate = target?.closest<HTMLElement>("[data-regenerate]");
      if (regenerate) void this.regenerate(regenerate);
      const remove = target?.closest<HTMLElement>("[data-delete-endpoint]");
      if (remove) void this.remove(remove);
    });
    const form = document.querySelector<HTMLFormElement>("[data-testid=add-endpoint-form]");
    form?.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.add(form);
    });
  }

  private showKeys(keys: Keys, endpoint: string): void {
    const name = this.panel.querySelector("[data-key-endpoint]");
    if (name) name.textContent = endpoint;
    for (const input of this.panel.querySelectorAll<HTMLInputElement>("[data-key]")) {
      const field = input.dataset.key;
      const key = field === "PrimaryKey" || field === "SecondaryKey" ? keys[field] : undefined;
      if (key !== undefined) input.value = key;
      const line = input.closest("p");
      if (line) line.hidden = key === undefined;
    }
    this.panel.hidden = false;
  }

  private copy(event: Event): void {
    const which = event.target instanceof HTMLElement ? event.target.dataset.copy : undefined;
    if (!which) return;
    const input = this.panel.querySelector<HTMLInputElement>(`[data-key=${which}]`);
    if (!input) return;
    navigator.clipboard?.writeText(input.value).then(() => { this.status.textContent = "Copied."; },
                                                     () => { input.select(); });
  }

  private async regenerate(button: HTMLElement): Promise<void> {
    const which = button.dataset.regenerate ?? "";
    const endpoint = button.dataset.endpoint ?? "";
    if (!confirm(`Replace the ${which} key of ${endpoint}? Clients using it will get 401.`)) return;
    let body: EndpointInfo;
    try {
      body = await sendJSON<EndpointInfo>(`${endpointUrl(this.service, endpoint)}regenerate-key/`, "POST",
                                          { key: which });
    } catch (error) {
      this.status.textContent = failureText(error, (code) => `Could not regenerate the key (${code}).`);
      return;
    }
    this.showKeys(body, endpoint);
    // The Key column shows the primary key's hint: the server sends the new one with the key.
    const hint = document.querySelector(`[data-testid="key-hint-${CSS.escape(endpoint)}"]`);
    if (hint && body.KeyHint) hint.textContent = body.KeyHint;
    this.status.textContent = `New ${which} key for ${endpoint}; copy it now.`;
  }

  private async add(form: HTMLFormElement): Promise<void> {
    const data = new FormData(form);
    const name = String(data.get("name"));
    const body = { Description: data.get("Description"), MaxConcurrentCalls: Number(data.get("MaxConcurrentCalls")),
                   DiagnosticsTraceLevel: data.get("DiagnosticsTraceLevel"), ThrottleLevel: data.get("ThrottleLevel") };
    let answer: EndpointInfo;
    try {
      answer = await sendJSON<EndpointInfo>(endpointUrl(this.service, name), "PUT", body);
    } catch (error) {
      this.status.textContent = failureText(error, (code) => `Could not add the endpoint (${code}).`);
      return;
    }
    if (answer.PrimaryKey) sessionStorage.setItem(newKeysItem(this.service), JSON.stringify(answer));
    window.location.reload();
  }

  private async remove(button: HTMLElement): Promise<void> {
    const name = button.dataset.deleteEndpoint ?? "";
    if (!confirm(`Delete the endpoint ${name}? Its URL and keys stop working.`)) return;
    try {
      await deleteJSON(endpointUrl(this.service, name));
    } catch (error) {
      this.status.textContent = failureText(error, (code) => `Could not delete the endpoint (${code}).`);
      return;
    }
    button.closest("tr")?.remove();
    this.status.textContent = `Deleted the endpoint ${name}.`;
  }
}

/** Wire the web service page: `panel` is its new-keys section, `status` its status line. */
export function mountServicePage(panel: HTMLElement, status: HTMLElement): void {
  new ServicePage(panel, status).mount();
}
