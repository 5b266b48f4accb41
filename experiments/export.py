"""Export as code: a finished run of a training experiment as a standalone Python script or a Jupyter notebook.

The code is written from the module catalogue: each node's module gives its function (Module.code_form,
modules/framework/code_forms.py), fed with the node's cleaned parameters and what the run left behind that the
code needs (the trained model's feature columns, the cleaning it learned, the dataset's file and parsing
rules). This file only loads those facts and lays the functions out: imports, helpers, one function per node,
and the pipeline that calls them in the graph's order and writes the scored rows as CSV. The script and the
notebook are two layouts of the same parts (`_exported`, `_pipeline`): in the script the pipeline is a
`main()` reading the input files named on the command line; in the notebook, cells, the last one running the
pipeline on the files named in the cell before it.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import io
import json
import keyword
import pickle
import platform
import re
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from studio.errors import AtelierError

from .assets import run_output_record
from .datasets import sample_manifest
from .engine import store
from .engine.graph import Graph, parse_graph
from .models import Dataset, Experiment, Run
from .modules.framework.code_forms import CodeForm, CodeNode, NoCodeForm
from .modules.framework.params import Param
from .modules.framework.ports import PortType
from .modules.framework.registry import registry
from .modules.training import scoring_code
from .notebook import Cell, code, markdown, notebook_json

ARTIFACT_PORTS = (PortType.TRAINED_MODEL, PortType.UNTRAINED_MODEL, PortType.TRANSFORM, PortType.EVALUATION)
BASE_IMPORTS = ("from __future__ import annotations", "", "import argparse", "import sys", "", "import numpy as np",
                "import pandas as pd")
# The notebook reads no command line and prints to its cell: no argparse, no sys.
NOTEBOOK_IMPORTS = ("from __future__ import annotations", "", "import numpy as np", "import pandas as pd")


class ExportError(AtelierError):
    """The experiment can't be exported; the message says why and what to do (a 400 on the API), the target
    the node that can't be."""

    code = "export_refused"

    def __init__(self, message: str, node: str | None = None) -> None:
        super().__init__(message, target=node)

    @property
    def node(self) -> str | None:
        return self.target


@dataclass(frozen=True)
class Written:
    """One node's function in the script: its name, source, and how main() calls it; its title and the
    parameters the properties pane shows (label, value), for the notebook's heading of its cell."""

    node: str
    function: str
    source: str
    form: CodeForm | None
    reason: str
    title: str = ""
    parameters: tuple[tuple[str, Any], ...] = ()


def finished_run(experiment: Experiment) -> Run:
    """The experiment's latest run, which must have finished over the whole graph."""
    run = experiment.runs.order_by("-created").first()
    if run is None or run.status != Run.Status.FINISHED:
        raise ExportError("Run the experiment first: export writes the code of a finished run.")
    if _shape(run.graph) != _shape(experiment.graph):
        raise ExportError("The experiment changed since its last run; run it again before exporting it.")
    return run


def _shape(graph: dict[str, Any]) -> tuple[Any, ...]:
    """What a run computes from: the modules, their parameters and the edges (not positions or comments)."""
    nodes = sorted((n.get("id"), n.get("module"), json.dumps(n.get("params", {}), sort_keys=True))
                   for n in graph.get("nodes", []))
    return tuple(nodes), json.dumps(sorted(json.dumps(e, sort_keys=True) for e in graph.get("edges", [])))


def python_script(experiment: Experiment) -> str:
    """The script reproducing the experiment's last finished run (ExportError when it can't)."""
    return _layout(experiment, *_exported(experiment))


def notebook(experiment: Experiment) -> str:
    """The same code as the script, as a Jupyter notebook (.ipynb JSON): a cell per module with a heading naming
    it and its parameters, a cell naming the input files, a last cell running the pipeline (ExportError, as
    the script, when it can't)."""
    return _notebook(experiment, *_exported(experiment))


def _exported(experiment: Experiment) -> tuple[Run, Graph, list[Written], str]:
    """The last finished run, its graph, one function per node and the Score Model node whose rows are the
    output; refused when the scored rows depend on a node with no code form."""
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
    return run, graph, written, output


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
        dataset = Dataset.objects.filter(pk=int(graph.nodes[node_id].params.get("dataset") or 0)).first()
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
    title = f"{module.name} (node {node_id})"
    doc = title + (f": {form.doc}" if form and form.doc else ".")
    signature = f"def {function}({', '.join(arguments)}):"
    if form is None:
        body = (f"    # NOT EXPORTED: no faithful code form.\n"
                f"    raise NotImplementedError({f'{module.name} can not be exported: {reason}'!r})\n")
    else:
        body = form.body
    return Written(node_id, function, f'{signature}\n    """{_docline(doc)}"""\n{body}', form, reason, title,
                   _shown(module.params, params))


def _shown(declared: dict[str, Param], params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """(label, value) of the parameters the properties pane shows with these values (not the hidden ones)."""
    return tuple((param.label, params[key]) for key, param in declared.items()
                 if not param.when or all(params.get(other) in values for other, values in param.when.items()))


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


def _parts(written: list[Written]) -> tuple[list[str], list[str], list[tuple[Written, str]]]:
    """What the functions need, once each: their import lines (merged), their helpers, and the input files
    (the node reading each, and the name the file goes by)."""
    imports: list[str] = []
    helpers: list[str] = []
    for item in written:
        if item.form is not None:
            imports.extend(line for line in item.form.imports if line not in imports)
            helpers.extend(helper for helper in item.form.helpers if helper not in helpers)
    files = [(item, _identifier(item.node)) for item in written if item.form is not None and item.form.argument]
    if any(re.search(r"\bAny\b", text) for text in [*helpers, *(item.source for item in written)]):
        imports.append("from typing import Any")  # helpers copied from the studio annotate with it
    return _merged(imports), helpers, files


def _layout(experiment: Experiment, run: Run, graph: Graph, written: list[Written], output: str) -> str:
    imports, helpers, files = _parts(written)
    lines = [f'"""{experiment.name}: run {run.pk} of Atelier experiment {experiment.pk}, exported as code.', "",
             "Each function is one module of the experiment, with its parameters inline; main() runs them in the",
             "graph's order on the input files named on the command line and writes the scored rows as CSV.",
             "Needs pandas, numpy and scikit-learn (the versions the studio ran: see README 'Export as code').",
             "", "Usage: python " + _identifier(experiment.name) + ".py "
             + " ".join(f"[{name}]" for _, name in files) + " [--output scored.csv]", '"""', "",
             *BASE_IMPORTS, *imports, "", ""]
    for helper in helpers:
        lines += [helper.rstrip(), "", ""]
    for item in written:
        lines += [item.source.rstrip(), "", ""]
    lines += _main(graph, written, output, files)
    return "\n".join(lines).rstrip() + "\n"


def _merged(imports: list[str]) -> list[str]:
    """`from m import a` lines joined per module (`from m import a, b`), sorted; other lines as they are."""
    names: dict[str, set[str]] = {}
    plain = []
    for line in imports:
        found = re.fullmatch(r"from (\S+) import (\w+)", line)
        if found:
            names.setdefault(found.group(1), set()).add(found.group(2))
        else:
            plain.append(line)
    joined = [f"from {module} import {', '.join(sorted(found))}" for module, found in sorted(names.items())]
    return sorted(plain) + joined


def _main(graph: Graph, written: list[Written], output: str, files: list[tuple[Written, str]]) -> list[str]:
    lines = ["def main(argv=None):", "    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])"]
    for item, name in files:
        assert item.form is not None and item.form.argument is not None
        lines.append(f"    parser.add_argument({name!r}, nargs='?', default={item.form.argument!r})")
    lines += ["    parser.add_argument('--output', default='scored.csv', help='where the scored rows are written')",
              "    args = parser.parse_args(argv)", ""]
    lines += [f"    {line}" for line in _pipeline(graph, written, output, files, lambda name: f"args.{name}")]
    lines += ["", f"    {_variable(output, 'scored_dataset')}.to_csv(args.output, index=False)",
              "    print(f'Scored rows written to {args.output}', file=sys.stderr)", "", "",
              'if __name__ == "__main__":', "    main()"]
    return lines


def _pipeline(graph: Graph, written: list[Written], output: str, files: list[tuple[Written, str]],
              path: Callable[[str], str]) -> list[str]:
    """The calls, in the graph's order, each function's outputs named after its node and port; `path(name)` is
    how a call names its input file. A node that isn't exported, or whose input isn't, is written commented
    out with the reason."""
    needed = graph.ancestors_and_self([output])
    lines = []
    by_node = {item.node: name for item, name in files}
    defined: set[str] = set()
    for item in written:
        incoming = graph.incoming(item.node)
        arguments = [_variable(edge.source, edge.source_port) for port in graph.module(item.node).inputs
                     if (edge := incoming.get(port.name)) is not None]
        ready = all(argument in defined for argument in arguments)
        if item.node in by_node:
            arguments.insert(0, path(by_node[item.node]))
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
            lines.append(f"# Not run: {item.reason if item.form is None else 'an input it needs is not exported'}")
            lines.append(f"# {statement}")
        else:
            lines.append(statement)
            defined.update(_variable(item.node, port) for port in outputs)
    return lines


def _notebook(experiment: Experiment, run: Run, graph: Graph, written: list[Written], output: str) -> str:
    """The script's parts as cells: what it is and how to run it, the imports, the helpers, a cell per module
    (a heading with its parameters, then its function), the input files, and the pipeline, which writes the
    scored rows and shows their first ones."""
    imports, helpers, files = _parts(written)
    scored = _variable(output, "scored_dataset")
    finished = (run.finished or run.created).astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cells: list[Cell] = [markdown(
        f"# {experiment.name}\n\n"
        f"Run {run.pk} of Atelier experiment {experiment.pk}, finished {finished}, exported as a notebook.\n\n"
        "Each code cell below is one module of the experiment, with its parameters inline; the last cell runs "
        "them in the graph's order on the input files named in *Input files* and writes the scored rows as CSV.\n\n"
        "**How to run:** with pandas, numpy and scikit-learn installed (the versions the studio ran: see the "
        "README's 'Export as code'), put the input files next to the notebook (or change their paths in *Input "
        "files*), then run all cells. The scored rows go to `scored.csv`."),
        code("\n".join([*NOTEBOOK_IMPORTS, *imports]))]
    if helpers:
        cells += [markdown("## Helpers\n\nShared by the modules' functions below."),
                  code("\n\n\n".join(helper.rstrip() for helper in helpers))]
    for item in written:
        cells += [markdown(_heading(item)), code(item.source.rstrip())]
    paths = [f"    {name!r}: {item.form.argument!r},  # {item.title}" for item, name in files
             if item.form is not None]
    cells += [markdown("## Input files\n\nThe files the pipeline reads (by default the sample files the run "
                       "read, from the current directory) and where the scored rows are written."),
              code("\n".join(["input_files = {", *paths, "}", "output_file = 'scored.csv'"])),
              markdown("## Run the pipeline\n\nThe modules' functions in the graph's order; the scored rows are "
                       "written to `output_file`, and the first of them shown."),
              code("\n".join([*_pipeline(graph, written, output, files, lambda name: f"input_files[{name!r}]"), "",
                              f"{scored}.to_csv(output_file, index=False)",
                              "print(f'Scored rows written to {output_file}')", f"{scored}.head()"]))]
    return notebook_json(cells)


def _heading(item: Written) -> str:
    """A module's markdown heading: its name and node, what its function does, its parameters."""
    doc = f"\n\n{item.form.doc}" if item.form is not None and item.form.doc else ""
    if item.form is None:
        doc = f"\n\n**Not exported:** {item.reason}."
    shown = "".join(f"\n- {label}: `{_shown_value(value)}`" for label, value in item.parameters)
    return f"## {item.title}{doc}" + (f"\n\nParameters:\n{shown}" if shown else "")


def _shown_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text.replace("`", "'")


def export_file_stem(experiment: Experiment) -> str:
    return _identifier(experiment.name) or f"experiment_{experiment.pk}"


# --- MLflow -------------------------------------------------------------------------------------------

MLFLOW_LOADER = "scoring_pipeline"
# What each step on the scoring path becomes in the MLflow model: the learned cleaning is applied, the rest of
# the path (the input, a split or sampling that only served training) passes the rows through.
PASS_THROUGH = {"web-service-input", "split-data", "partition-and-sample"}
SIGNATURE_TYPES = {"i": "long", "u": "long", "f": "double", "b": "boolean"}


def mlflow_zip(experiment: Experiment) -> bytes:
    """The trained predictive pipeline of the last finished run (the learned cleaning on the scoring path, the
    fitted scikit-learn pipeline, the score columns) as a zipped MLflow model directory, pyfunc flavor, with
    its signature and an input example. Written without MLflow: MLmodel is a small YAML file."""
    run = finished_run(experiment)
    graph = parse_graph(run.graph)
    score = _output_node(graph)
    model = _loaded(run, graph.incoming(score)["trained_model"].source,
                    graph.incoming(score)["trained_model"].source_port)
    if model.task not in ("binary", "multiclass", "regression"):
        raise ExportError(f"{model.name} is a {model.task} model; the MLflow export takes classification and "
                          "regression models.", score)
    cleaning, rows = _scoring_path(graph, run, score)
    params, _ = registry.get("score-model").clean_params(graph.nodes[score].params, score)
    form = scoring_code(model, params["append_score_columns_to_output"])
    example = rows.head(5)
    payload = pickle.dumps({"estimator": model.estimator, "cleaning": cleaning}, protocol=5)
    files: dict[str, str | bytes] = {
        "MLmodel": _mlmodel(run, rows, model),
        f"code/{MLFLOW_LOADER}.py": _loader_source(experiment, run, form),
        "model.pkl": payload,
        "input_example.json": json.dumps(_split(example)),
        "serving_input_example.json": json.dumps({"dataframe_split": _split(example)}, indent=2),
        "requirements.txt": "\n".join(_requirements()) + "\n",
        "python_env.yaml": _python_env(),
    }
    buffer = io.BytesIO()
    stem = export_file_stem(experiment)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(f"{stem}/{name}", content)
    return buffer.getvalue()


def _scoring_path(graph: Graph, run: Run, score: str) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """The learned cleaning states from the input to Score Model, and the rows that enter the path (the
    input the endpoint would receive), walking back along the dataset inputs."""
    states: list[dict[str, Any]] = []
    edge = graph.incoming(score)["dataset"]
    while True:
        node = graph.nodes[edge.source]
        module = graph.module(node.id)
        incoming = graph.incoming(node.id)
        if node.module == "clean-missing-data":
            states.insert(0, _loaded(run, node.id, "cleaning_transformation").state)
        elif node.module == "apply-transformation":
            transform = _loaded(run, incoming["transformation"].source, incoming["transformation"].source_port)
            if transform.kind != "clean-missing-data":
                raise ExportError(f"Apply Transformation (node {node.id}) applies a {transform.name or transform.kind}"
                                  "; the MLflow export applies Clean Missing Data only, so far.", node.id)
            states.insert(0, transform.state)
        elif node.module not in PASS_THROUGH and node.module != "dataset":
            raise ExportError(f"{module.name} (node {node.id}) is on the scoring path and has no MLflow form yet.",
                              node.id)
        upstream = incoming.get("dataset")
        if node.module == "dataset" or upstream is None:
            table = _loaded(run, node.id, edge.source_port)
            return [_cleaning(state) for state in states], table.frame
        edge = upstream


def _cleaning(state: dict[str, Any]) -> dict[str, Any]:
    """A Clean Missing Data state as plain data, as a web service applies it (the label never required)."""
    labels = set(state.get("optional", [])) | set(state.get("service_labels", []))
    return {"columns": list(state["columns"]), "replacements": dict(state["replacements"]),
            "indicators": bool(state["indicators"]), "drop_rows": bool(state["drop_rows"]),
            "drop_columns": list(state["drop_columns"]), "labels": sorted(labels)}


def _split(frame: pd.DataFrame) -> dict[str, Any]:
    return json.loads(frame.to_json(orient="split", index=False))


def _signature_type(series: pd.Series) -> str:
    return SIGNATURE_TYPES.get(series.dtype.kind, "string")


def _mlmodel(run: Run, rows: pd.DataFrame, model: Any) -> str:
    label = model.label
    inputs = [{"type": _signature_type(rows[name]), "name": name, "required": name != label} for name in rows.columns]
    classes = model.classes or []
    kind = "string" if model.task != "regression" else "double"
    outputs: list[dict[str, Any]] = [{"type": kind, "name": "Scored Labels", "required": True}]
    if model.task == "binary":
        outputs.append({"type": "double", "name": "Scored Probabilities", "required": True})
    elif model.task == "multiclass":
        outputs = [{"type": "double", "name": f'Scored Probabilities for Class "{value}"', "required": True}
                   for value in classes] + outputs
    lines = [
        "artifact_path: model",
        "flavors:",
        "  python_function:",
        f"    loader_module: {MLFLOW_LOADER}",
        "    code: code",
        "    data: model.pkl",
        "    env:",
        "      virtualenv: python_env.yaml",
        f"    python_version: {platform.python_version()}",
        f"model_uuid: {uuid.uuid4().hex}",
        "saved_input_example_info:",
        "  artifact_path: input_example.json",
        "  type: dataframe",
        "  pandas_orient: split",
        "  serving_input_path: serving_input_example.json",
        "signature:",
        f"  inputs: {json.dumps(json.dumps(inputs))}",
        f"  outputs: {json.dumps(json.dumps(outputs))}",
        "  params: null",
        f"utc_time_created: '{datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M:%S.%f')}'",
        f"metadata:\n  atelier_run: {run.pk}\n  atelier_experiment: {run.experiment_id}",
    ]
    return "\n".join(lines) + "\n"


# MLflow 2.x can't enforce a signature's string columns on pandas 3's string dtype ("Can not safely convert str
# to <U0", seen with 2.22.5); 3.18 scores the export as the endpoint does (tests/experiments/test_export.py).
MLFLOW_REQUIREMENT = "mlflow>=3.18"


def _requirements() -> list[str]:
    return [MLFLOW_REQUIREMENT] + [f"{name}=={importlib.metadata.version(name)}" for name in
                                   ("numpy", "pandas", "scikit-learn", "scipy", "threadpoolctl", "cloudpickle")
                                   if _installed(name)]


def _installed(name: str) -> bool:
    try:
        importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _python_env() -> str:
    requirements = "".join(f"    - {line}\n" for line in _requirements())
    return (f"python: {platform.python_version()}\nbuild_dependencies:\n  - pip\ndependencies:\n"
            f"  - -r requirements.txt\n") if requirements else f"python: {platform.python_version()}\n"


def _loader_source(experiment: Experiment, run: Run, form: CodeForm) -> str:
    helpers = "\n\n".join(helper.rstrip() for helper in form.helpers)
    return f'''"""{_docline(experiment.name)}: the scoring pipeline of run {run.pk} (Atelier experiment
{experiment.pk}), as an MLflow pyfunc loader module. model.pkl holds the fitted scikit-learn pipeline and the
learned cleaning."""

import pickle

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits


{helpers}


def clean(frame, state):
    """Clean Missing Data as a web service applies it: indicators, replacements, then rows and columns
    dropped (a row is never dropped for lacking the label)."""
    frame = frame.copy()
    present = [column for column in state["columns"] if column in frame.columns]
    if state["indicators"]:
        for column in present:
            frame[column + "_isMissing"] = frame[column].isna()
    for column in present:
        value = state["replacements"].get(column)
        if value is not None and frame[column].isna().any():
            frame[column] = frame[column].fillna(value)
    if state["drop_rows"]:
        keys = [column for column in present if column not in state["labels"]]
        if keys:
            frame = frame.dropna(subset=keys).reset_index(drop=True)
    return frame.drop(columns=[column for column in state["drop_columns"] if column in frame.columns])


def score_model(trained_model, dataset):
    """Score Model."""
{form.body.rstrip()}


class ScoringPipeline:
    def __init__(self, saved):
        self.estimator = saved["estimator"]
        self.cleaning = saved["cleaning"]

    def predict(self, model_input, params=None):
        frame = pd.DataFrame(model_input)
        for state in self.cleaning:
            frame = clean(frame, state)
        return score_model(self.estimator, frame)


def _load_pyfunc(data_path):
    with open(data_path, "rb") as handle:
        return ScoringPipeline(pickle.load(handle))
'''
