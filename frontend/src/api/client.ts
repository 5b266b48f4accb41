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
