// Every chart of the studio is drawn here: vega-embed with Vega's expression interpreter, so charts need no
// `eval`, and without the <style> elements vega-embed and its tooltips would inject (their look is in
// static/css/studio.css), so they run under the pages' Content-Security-Policy (script-src and style-src
// 'self', no 'unsafe-inline'). Loaded on first use.
import type { Result, VisualizationSpec } from "vega-embed";

export async function renderChart(target: HTMLElement, spec: VisualizationSpec): Promise<Result> {
  const [{ default: embed }, { expressionInterpreter }] = await Promise.all([
    import("vega-embed"), import("vega-interpreter")]);
  return embed(target, spec, {
    actions: false, renderer: "svg", ast: true, expr: expressionInterpreter, defaultStyle: false,
    tooltip: { disableDefaultStyle: true },
  });
}
