// The Datasets page: upload through the studio API with a progress bar (the form still works without JavaScript).
import { ApiError, failureText, pageCsrfToken, postForm, setCsrfToken } from "../api/client";

interface Uploaded { name: string; rows: number; columns: unknown[]; adjusted?: string }

const KEPT_STATUS = "atelier-upload-status";

/** The line shown once the studio stored the upload, with what a lenient read padded or skipped. */
export function uploadedText(dataset: Uploaded): string {
  const adjusted = dataset.adjusted ? ` ${dataset.adjusted}` : "";
  return `Uploaded '${dataset.name}': ${dataset.rows} rows, ${dataset.columns.length} columns.${adjusted}`;
}

function failedText(error: unknown): string {
  if (!(error instanceof ApiError)) return "The upload failed: the server did not answer.";
  return failureText(error, (status) => `The upload failed (${status}).`);
}

/** Send the upload form through the API, showing its progress, and reload the page once it is stored. */
export function mountUpload(form: HTMLFormElement, bar: HTMLProgressElement, status: HTMLElement): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setCsrfToken(pageCsrfToken(form));
    const sent = postForm<Uploaded>("/api/datasets/", new FormData(form), (fraction) => {
      bar.value = Math.round(100 * fraction);
    });
    bar.hidden = false;
    bar.value = 0;
    status.textContent = "Uploading…";
    sent.then((dataset) => {
      bar.value = 100;
      status.textContent = uploadedText(dataset);
      sessionStorage.setItem(KEPT_STATUS, status.textContent);  // still shown once the list is reloaded
      window.location.reload();
    }, (error: unknown) => { status.textContent = failedText(error); });
  });
}

const form = document.querySelector<HTMLFormElement>("[data-upload-form]");
const bar = document.querySelector<HTMLProgressElement>("[data-testid=upload-progress]");
const status = document.querySelector<HTMLElement>("[data-testid=upload-status]");
if (form && bar && status) {
  status.textContent = sessionStorage.getItem(KEPT_STATUS) ?? "";
  sessionStorage.removeItem(KEPT_STATUS);
  mountUpload(form, bar, status);
}
