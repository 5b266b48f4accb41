// A small fetch wrapper for the studio API: session cookie, CSRF token, JSON, and the server's "detail".

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown = null,
  ) {
    super(message);
  }
}

let csrfToken = "";

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** The CSRF token a Django page carries: the `data-csrf-token` of an element, else a form's hidden input. */
export function pageCsrfToken(page: ParentNode = document): string {
  return page.querySelector<HTMLElement>("[data-csrf-token]")?.dataset.csrfToken
    ?? page.querySelector<HTMLInputElement>("[name=csrfmiddlewaretoken]")?.value ?? "";
}

export async function getJSON<T>(url: string): Promise<T> {
  return request<T>(url, { method: "GET" });
}

export async function sendJSON<T>(url: string, method: "POST" | "PUT" | "PATCH", body: unknown = {}): Promise<T> {
  return request<T>(url, { method, body: JSON.stringify(body) });
}

export async function deleteJSON<T = null>(url: string): Promise<T> {
  return request<T>(url, { method: "DELETE" });
}

/** A form posted as multipart with the upload's progress (fetch can't report it): `progress` gets the share
 *  sent, 0 to 1. Resolves to the JSON answer; rejects with an ApiError like the JSON calls, or with an Error
 *  when the server did not answer. */
export function postForm<T>(url: string, form: FormData, progress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRFToken", csrfToken);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      const body = parsed(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(new ApiError(detailOf(body) ?? `${xhr.status} ${xhr.statusText}`, xhr.status, body));
    });
    xhr.addEventListener("error", () => reject(new Error("The server did not answer.")));
    xhr.send(form);
  });
}

/** What to tell the user about a failed call: the server's "detail", else `fallback(status)`; a call that got
 *  no answer at all keeps its own message. */
export function failureText(error: unknown, fallback: (status: number) => string): string {
  if (error instanceof ApiError) return detailOf(error.body) ?? fallback(error.status);
  return error instanceof Error ? error.message : String(error);
}

/** A request that outlives the page (fetch `keepalive`, like sendBeacon but with any method and the CSRF
 *  header): for the last save when the page is being left. Browsers cap such bodies at 64 KiB; false when
 *  the request could not be sent, so the caller can still ask the user to stay. */
export function sendWhileLeaving(url: string, method: "PATCH" | "POST", body: unknown): boolean {
  const text = JSON.stringify(body);
  if (new Blob([text]).size > 64 * 1024) return false;
  try {
    void fetch(url, {
      method, body: text, keepalive: true, credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken },
    }).catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

/** A file the API answers with (an export): its bytes and the name its Content-Disposition gives; a refusal
 *  throws ApiError with the server's "detail". */
export async function getFile(url: string): Promise<{ blob: Blob; filename: string }> {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => null);
    throw new ApiError(detailOf(body) ?? `${response.status} ${response.statusText}`, response.status, body);
  }
  const named = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") ?? "");
  return { blob: await response.blob(), filename: named?.[1] ?? "export" };
}

async function request<T>(url: string, init: RequestInit): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (init.method !== "GET") {
    headers["Content-Type"] = "application/json";
    headers["X-CSRFToken"] = csrfToken;
  }
  const response = await fetch(url, { ...init, credentials: "same-origin", headers });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(detailOf(body) ?? `${response.status} ${response.statusText}`, response.status, body);
  }
  return body as T;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function detailOf(body: unknown): string | null {
  if (typeof body === "object" && body !== null && "detail" in body && typeof body.detail === "string") {
    return body.detail;
  }
  return null;
}
