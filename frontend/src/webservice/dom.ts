// Building the dashboard pages' DOM without innerHTML: every text set as text, so nothing a service or a user
// named (a column, a file, an error message) is ever parsed as markup.

export function element<K extends keyof HTMLElementTagNameMap>(tag: K, text = "",
                                                              attributes: Record<string, string> = {}) {
  const made = document.createElement(tag);
  made.textContent = text;
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  return made;
}

export function button(label: string, attributes: Record<string, string>, onClick: () => void): HTMLButtonElement {
  const made = element("button", label, { type: "button", ...attributes });
  made.addEventListener("click", onClick);
  return made;
}
