// Runs before ReDoc on /api/redoc/ (templates/studio/api_redoc.html: this module, then ReDoc's bundle deferred;
// the browser runs them in that order once the page is parsed): the page must not reach another host (issue 15,
// item 9), but ReDoc's side menu shows the Redocly logo from cdn.redoc.ly (no option turns it off). An image
// whose address is on another host gets an empty data: address instead, whether set as an attribute or as a
// property (React does both): it fails at once, without a request, and ReDoc then drops it (its error
// handler). The page's Content-Security-Policy (img-src 'self' data: blob:) stays the guard; this only keeps
// the browser from trying.

/** Whether an address (relative to `base`) is http(s) on another origin than `here`. */
export function isOffSite(value: unknown, base: string, here: string): boolean {
  try {
    const url = new URL(String(value), base);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin !== here;
  } catch {
    return false;
  }
}

/** Make every <img> on the page take `data:,` instead of an address on another host. */
export function keepImagesOnSite(): void {
  const kept = (value: unknown) =>
    (isOffSite(value, document.baseURI, window.location.origin) ? "data:," : value);
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (this: Element, name: string, value: string) {
    const isSrc = this instanceof HTMLImageElement && String(name).toLowerCase() === "src";
    setAttribute.call(this, name, isSrc ? String(kept(value)) : value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  if (!src?.set) return;
  const setSrc = src.set;
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(this: HTMLImageElement, value: unknown) { setSrc.call(this, kept(value)); },
  });
}

keepImagesOnSite();
