// Every studio page (templates/base.html): forms with data-confirm ask before they submit, instead of inline
// onsubmit handlers, which the Content-Security-Policy forbids.

/** Ask the form's data-confirm question before a submit; a "no" cancels it. */
export function confirmSubmits(root: Document): void {
  root.addEventListener("submit", (event) => {
    const form = event.target instanceof Element ? event.target.closest<HTMLFormElement>("form[data-confirm]") : null;
    if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

confirmSubmits(document);
