// Loaded before ReDoc on /api/redoc/: the page must not reach another host (issue 15, item 9), but ReDoc's side
// menu shows the Redocly logo from cdn.redoc.ly (no option turns it off). An image whose address is on another
// host gets an empty data: address instead, whether set as an attribute or as a property (React does both): it
// fails at once, without a request, and ReDoc then drops it (its error handler). The page's Content-Security-
// Policy (img-src 'self' data: blob:) stays the guard; this only keeps the browser from trying.
(function () {
  "use strict";
  const offSite = (value) => {
    try {
      const url = new URL(String(value), document.baseURI);
      return (url.protocol === "http:" || url.protocol === "https:") && url.origin !== window.location.origin;
    } catch {
      return false;
    }
  };
  const kept = (value) => (offSite(value) ? "data:," : value);
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    const isSrc = this instanceof HTMLImageElement && String(name).toLowerCase() === "src";
    return setAttribute.call(this, name, isSrc ? kept(value) : value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) { src.set.call(this, kept(value)); },
  });
})();
