"""Export as code: a finished run of a training experiment as a standalone Python script.

The script is written from the module catalogue: each node's module gives its function (Module.code_form,
modules/framework/code_forms.py), fed with the node's cleaned parameters and what the run left behind that the
code needs (the trained model's feature columns, the cleaning it learned, the dataset's file and parsing
rules). This file only loads those facts and lays the functions out: imports, helpers, one function per node,
and a `main()` that reads the input files named on the command line and writes the scored rows as CSV.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from typing import Any

from .assets import run_output_record
from .datasets import sample_manifest
from .engine import store
from .engine.graph import Graph, parse_graph
from .models import Dataset, Experiment, Run
from .modules.framework.code_forms import CodeForm, CodeNode, NoCodeForm
from .modules.framework.ports import PortType
from .modules.framework.registry import registry

ARTIFACT_PORTS = (PortType.TRAINED_MODEL, PortType.UNTRAINED_MODEL, PortType.TRANSFORM)
BASE_IMPORTS = ("import argparse", "import sys", "", "import numpy as np", "import pandas as pd")


class ExportError(Exception):
    """The experiment can't be exported; the message says why and what to do (a 400 on the API)."""

    def __init__(self, message: str, node: str | None = None) -> None:
        super().__init__(message)
        self.node = node


@dataclass(frozen=True)
class Written:
    """One node's function in the script: its name, source, and how main() calls it."""

    node: str
    function: str
    source: str
    form: CodeForm | None
    reason: str


def finished_run(experiment: Experiment) -> Run:
    """The experiment's latest run, which must have finished over the whole graph."""
    run = experiment.runs.order_by("-created").first()
    if run is None or run.status != Run.Status.FINISHED:
        raise ExportError("Run the experiment first: export writes the code of a finished run.")
    if run.graph != experiment.graph:
        raise ExportError("The experiment changed since its last run; run it again before exporting it.")
    return run


def python_script(experiment: Experiment) -> str:
    """The script reproducing the experiment's last finished run (ExportError when it can't)."""
    run = finished_run(experiment)
    graph = parse_graph(run.graph)
    output = _output_node(graph)
    needed = graph.ancestors_and_self([output])
    written = [_written(graph, run, node_id) for node_id in graph.order()]
    for item in written:
        if item.form is None and item.node in needed:
            module = graph.module(item.node)
            raise ExportError(f"{module.name} (node {item.node}) can't be exported as code: {item.reason}",
                              item.node)
    return _layout(experiment, run, graph, written, output)


def _output_node(graph: Graph) -> str:
    scoring = [node_id for node_id in graph.order() if graph.nodes[node_id].module == "score-model"]
    if not scoring:
        raise ExportError("The experiment has no Score Model: the exported script writes scored rows.")
    return scoring[-1]


def _facts(graph: Graph, run: Run, node_id: str) -> dict[str, Any]:
    """What the run left that a node's code needs: its artifact inputs and outputs, and a dataset's record."""
    module = graph.module(node_id)
    incoming = graph.incoming(node_id)
    facts: dict[str, Any] = {"inputs": {}, "outputs": {}}
    for port in module.inputs:
        edge = incoming.get(port.name)
        if edge is not None and port.type in ARTIFACT_PORTS:
            facts["inputs"][port.name] = _loaded(run, edge.source, edge.source_port)
    used = {edge.source_port for edge in graph.edges if edge.source == node_id}
    for out in module.outputs:
        if out.type in ARTIFACT_PORTS and (out.name in used or out.type != PortType.UNTRAINED_MODEL):
            facts["outputs"][out.name] = _loaded(run, node_id, out.name)
    if module.id == "dataset":
        dataset = Dataset.objects.filter(pk=graph.nodes[node_id].params.get("dataset")).first()
        if dataset is None:
            raise ExportError(f"The dataset of node {node_id} no longer exists.", node_id)
        facts["dataset"] = {"name": dataset.name, "parsing": dataset.parsing,
                            "file": sample_file_name(dataset) or f"{_identifier(dataset.name)}.csv"}
    return facts


def sample_file_name(dataset: Dataset) -> str | None:
    """The file a sample dataset ships as (experiments/sample_data/), the script's default input."""
    if dataset.source != Dataset.Source.SAMPLE:
        return None
    return next((entry["file"] for entry in sample_manifest() if entry["slug"] == dataset.slug), None)


def _loaded(run: Run, node: str, port: str) -> Any:
    try:
        return store.load_output(run_output_record(run, node, port))
    except Exception as error:  # a missing or unreadable output: say which, not a 500
        raise ExportError(f"The output '{port}' of node {node} can't be read from run {run.pk}: {error}",
                          node) from None


def _written(graph: Graph, run: Run, node_id: str) -> Written:
    module = graph.module(node_id)
    params, _ = module.clean_params(graph.nodes[node_id].params, node_id)
    function = _identifier(f"{module.id}_{node_id}")
    form: CodeForm | None = None
    reason = module.no_code_reason or f"{module.name} has no code form yet"
    try:
        form = module.code_form(CodeNode(node_id, params, _facts(graph, run, node_id)))
    except NoCodeForm as refusal:
        reason = str(refusal)
    arguments = _arguments(graph, node_id, form)
    doc = f"{module.name} (node {node_id})" + (f": {form.doc}" if form and form.doc else ".")
    signature = f"def {function}({', '.join(arguments)}):"
    if form is None:
        body = (f"    # NOT EXPORTED: no faithful code form.\n"
                f"    raise NotImplementedError({f'{module.name} can not be exported: {reason}'!r})\n")
    else:
        body = form.body
    return Written(node_id, function, f'{signature}\n    """{_docline(doc)}"""\n{body}', form, reason)


def _arguments(graph: Graph, node_id: str, form: CodeForm | None) -> list[str]:
    incoming = graph.incoming(node_id)
    names = [port.name for port in graph.module(node_id).inputs if port.name in incoming]
    return ["path", *names] if form is not None and form.argument else names


def _variable(node_id: str, port: str) -> str:
    return _identifier(f"{node_id}_{port}")


def _identifier(text: str) -> str:
    name = re.sub(r"\W+", "_", text).strip("_").lower() or "node"
    name = f"n_{name}" if name[0].isdigit() else name
    return f"{name}_" if keyword.iskeyword(name) else name


def _docline(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"""', "'''")


def _layout(experiment: Experiment, run: Run, graph: Graph, written: list[Written], output: str) -> str:
    imports: list[str] = []
    helpers: list[str] = []
    for item in written:
        if item.form is not None:
            imports.extend(line for line in item.form.imports if line not in imports)
            helpers.extend(helper for helper in item.form.helpers if helper not in helpers)
    files = [(item, _identifier(item.node)) for item in written if item.form is not None and item.form.argument]
    lines = [f'"""{experiment.name}: run {run.pk} of Atelier experiment {experiment.pk}, exported as code.', "",
             "Each function is one module of the experiment, with its parameters inline; main() runs them in the",
             "graph's order on the input files named on the command line and writes the scored rows as CSV.",
             "Needs pandas, numpy and scikit-learn (the versions the studio ran: see README 'Export as code').",
             "", "Usage: python " + _identifier(experiment.name) + ".py "
             + " ".join(f"[{name}]" for _, name in files) + " [--output scored.csv]", '"""', "",
             *BASE_IMPORTS, *sorted(imports), "", ""]
    for helper in helpers:
        lines += [helper.rstrip(), "", ""]
    for item in written:
        lines += [item.source.rstrip(), "", ""]
    lines += _main(graph, written, output, files)
    return "\n".join(lines).rstrip() + "\n"


def _main(graph: Graph, written: list[Written], output: str, files: list[tuple[Written, str]]) -> list[str]:
    needed = graph.ancestors_and_self([output])
    lines = ["def main(argv=None):", "    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])"]
    for item, name in files:
        assert item.form is not None and item.form.argument is not None
        lines.append(f"    parser.add_argument({name!r}, nargs='?', default={item.form.argument!r})")
    lines += ["    parser.add_argument('--output', default='scored.csv', help='where the scored rows are written')",
              "    args = parser.parse_args(argv)", ""]
    by_node = {item.node: name for item, name in files}
    defined: set[str] = set()
    for item in written:
        incoming = graph.incoming(item.node)
        arguments = [_variable(edge.source, edge.source_port) for port in graph.module(item.node).inputs
                     if (edge := incoming.get(port.name)) is not None]
        ready = all(argument in defined for argument in arguments)
        if item.node in by_node:
            arguments.insert(0, f"args.{by_node[item.node]}")
        outputs = list(item.form.outputs) if item.form else [port.name for port in graph.module(item.node).outputs]
        used = {edge.source_port for edge in graph.edges if edge.source == item.node}
        missing = sorted(used - set(outputs))
        if item.form is not None and missing and item.node in needed:
            raise ExportError(f"The output '{missing[0]}' of node {item.node} is not written by its code form.",
                              item.node)
        targets = ", ".join(_variable(item.node, port) for port in outputs)
        call = f"{item.function}({', '.join(arguments)})"
        statement = f"{targets} = {call}" if targets else call
        if item.form is None or not ready:
            lines.append(f"    # Not run: {item.reason if item.form is None else 'an input it needs is not exported'}")
            lines.append(f"    # {statement}")
        else:
            lines.append(f"    {statement}")
            defined.update(_variable(item.node, port) for port in outputs)
    lines += ["", f"    {_variable(output, 'scored_dataset')}.to_csv(args.output, index=False)",
              "    print(f'Scored rows written to {args.output}', file=sys.stderr)", "", "",
              'if __name__ == "__main__":', "    main()"]
    return lines


def export_file_stem(experiment: Experiment) -> str:
    return _identifier(experiment.name) or f"experiment_{experiment.pk}"


def mlflow_zip(experiment: Experiment) -> bytes:
    raise ExportError("The MLflow export is not written yet.")
