// A Vega-Lite chart (vega-embed renders it; we only describe it).
import { useEffect, useRef } from "react";
import type { VisualizationSpec } from "vega-embed";

import { renderChart } from "./embed";

export function Chart({ spec, label }: { spec: VisualizationSpec; label: string }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const target = element.current;
    if (target === null) return;
    // Vega is large: it loads the first time a chart is shown, not with the canvas.
    const rendering = renderChart(target, spec);
    return () => {
      void rendering.then((result) => result.finalize());
    };
  }, [spec]);
  return (
    <figure className="chart" role="img" aria-label={label}>
      <div ref={element} />
    </figure>
  );
}

export function lineSpec(title: string, x: string, y: string, points: { x: number; y: number }[]): VisualizationSpec {
  return {
    title, width: 220, height: 180, data: { values: points }, mark: { type: "line", interpolate: "step-after" },
    encoding: { x: { field: "x", type: "quantitative", title: x }, y: { field: "y", type: "quantitative", title: y } },
  };
}

export function barSpec(title: string, x: string, y: string, bars: { x: string | number; y: number }[],
                        sortByValue = false): VisualizationSpec {
  return {
    title, width: 320, height: 180, data: { values: bars }, mark: "bar",
    encoding: {
      x: { field: "x", type: "nominal", title: x, sort: sortByValue ? "-y" : null },
      y: { field: "y", type: "quantitative", title: y },
    },
  };
}

export function heatmapSpec(labels: string[], matrix: number[][]): VisualizationSpec {
  const cells = matrix.flatMap((row, i) => row.map((count, j) => ({ actual: labels[i], predicted: labels[j], count })));
  return {
    title: "Confusion matrix", width: 200, height: 200, data: { values: cells },
    encoding: { x: { field: "predicted", type: "nominal" }, y: { field: "actual", type: "nominal" } },
    layer: [
      { mark: "rect", encoding: { color: { field: "count", type: "quantitative", scale: { scheme: "blues" } } } },
      { mark: { type: "text" }, encoding: { text: { field: "count", type: "quantitative" } } },
    ],
  };
}
