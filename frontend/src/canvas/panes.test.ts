import { describe, expect, it } from "vitest";

import { fitPanes, MIN_GRAPH, paneDefaults, RAIL, SPLITTER } from "./panes";

describe("fitPanes", () => {
  it("keeps the chosen widths when the graph still gets its room", () => {
    const fitted = fitPanes(paneDefaults(1920), 1920);
    expect([fitted.palette, fitted.properties]).toEqual([240, 320]);
  });

  it("leaves the graph at least its minimum at 1024 px with the small-screen defaults", () => {
    const fitted = fitPanes(paneDefaults(1024), 1024);
    expect(1024 - fitted.palette - fitted.properties - 2 * SPLITTER).toBeGreaterThanOrEqual(MIN_GRAPH);
    expect(fitted.properties).toBe(260);
  });

  it("shrinks the palette first, then the properties pane, never below their minimums", () => {
    const wide = { palette: { width: 400, collapsed: false }, properties: { width: 600, collapsed: false } };
    expect(fitPanes(wide, 1200)).toMatchObject({ palette: 1200 - MIN_GRAPH - 2 * SPLITTER - 600, properties: 600 });
    expect(fitPanes(wide, 500)).toMatchObject({ palette: 160, properties: 220 });
  });

  it("gives a collapsed pane's room to the others and lets the open one be dragged into it", () => {
    const panes = { palette: { width: 240, collapsed: true }, properties: { width: 320, collapsed: false } };
    const fitted = fitPanes(panes, 900);
    expect(fitted.palette).toBe(0);
    expect(fitted.max.properties).toBe(900 - MIN_GRAPH - RAIL - SPLITTER);
  });
});
