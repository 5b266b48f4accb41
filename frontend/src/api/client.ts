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

export async function getJSON<T>(url: string): Promise<T> {
  return request<T>(url, { method: "GET" });
}

export async function sendJSON<T>(url: string, method: "POST" | "PUT" | "PATCH", body: unknown = {}): Promise<T> {
  return request<T>(url, { method, body: JSON.stringify(body) });
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

function detailOf(body: unknown): string | null {
  if (typeof body === "object" && body !== null && "detail" in body && typeof body.detail === "string") {
    return body.detail;
  }
  return null;
}
