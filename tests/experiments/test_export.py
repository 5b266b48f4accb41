"""Export as code: the exported script and notebook, run in a subprocess on the sample files, score what the run
scored.

Each case runs an experiment through the engine (as the worker does), exports it through the API as a script
and as a notebook, runs the script with the shipped sample file as its argument and the notebook's code cells
(in order, as one file) next to the sample file, and compares their score columns with the run's Score Model
output to 1e-9.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.assets import run_output_record
from experiments.datasets import SAMPLE_DIR, samples_load
from experiments.engine import store
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.export import MLFLOW_REQUIREMENT, export_file_stem
from experiments.models import Dataset, Experiment
from experiments.modules.framework.datatable import DataTable
from experiments.modules.prediction import scored_table
from experiments.setup import setup_web_service
from tests.experiments.helpers import output_frame, run_now

pytestmark = pytest.mark.django_db(transaction=True)


def training_graph(dataset_id, learner, label, first_steps=(), split=None):
    split = split or {}
    nodes = [node("data", "dataset", dataset=dataset_id), *[node(i, m, **p) for i, m, p in first_steps],
             node("split", "split-data", fraction_of_rows_in_the_first_output_dataset=0.7, random_seed=42, **split),
             node("learner", learner), node("train", "train-model", label_column=[label]),
             node("score", "score-model"), node("evaluate", "evaluate-model")]
    chain = ["data", *[i for i, _, _ in first_steps], "split"]
    ports = {"data": "dataset", "clean": "cleaned_dataset", "norm": "transformed_dataset"}
    edges = [edge(a, ports[a], b, "dataset") for a, b in itertools.pairwise(chain)]
    edges += [edge("learner", "untrained_model", "train", "untrained_model"),
              edge("split", "results1", "train", "dataset"), edge("train", "trained_model", "score", "trained_model"),
              edge("split", "results2", "score", "dataset"),
              edge("score", "scored_dataset", "evaluate", "scored_dataset")]
    return {"nodes": nodes, "edges": edges}


def sample(name):
    samples_load([name])
    return Dataset.objects.get(name=name)


EXPORTS = ("python", "notebook")


def exported_scores(api, experiment, tmp_path, sample_file, kind="python"):
    """Export the experiment (`kind`: python or notebook), run what it exports in a subprocess on the sample
    file, and return its source, the scored rows it wrote and what it printed ("name: value" lines)."""
    response = api.get(f"/api/experiments/{experiment.pk}/export/?format={kind}")
    assert response.status_code == 200, response.content
    assert response["Content-Disposition"].startswith("attachment;")
    tmp_path = tmp_path / kind
    tmp_path.mkdir()
    if kind == "notebook":
        assert response["Content-Type"] == "application/x-ipynb+json"
        assert response["Content-Disposition"].endswith(f'filename="{export_file_stem(experiment)}.ipynb"')
        source = notebook_code(json.loads(response.content))
        assert "atelier" not in source.lower()  # no import of the studio
        (tmp_path / sample_file).symlink_to(SAMPLE_DIR / sample_file)  # its input file's default: next to it
        command = [sys.executable, "notebook.py"]
    else:
        source = response.content.decode()
        assert "atelier" not in source.split('"""', 2)[2].lower()  # past the docstring: no import of the studio
        command = [sys.executable, "experiment.py", str(SAMPLE_DIR / sample_file), "--output", "scored.csv"]
    (tmp_path / command[1]).write_text(source, encoding="utf-8")
    # readable code names nothing it doesn't define or import (annotations included, though never evaluated)
    lint = subprocess.run([str(Path(sys.executable).with_name("ruff")), "check", "--isolated", "--select", "F821",
                           "--output-format", "concise", command[1]], capture_output=True, text=True, cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    printed = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    return source, pd.read_csv(tmp_path / "scored.csv", keep_default_na=False, na_values=[""]), printed


def notebook_code(document):
    """A notebook's code cells, in order, as one Python file, once the document is checked to be nbformat 4:
    the structure by hand (nbformat isn't a dependency), and by nbformat's own validator where it's installed."""
    assert document["nbformat"] == 4 and isinstance(document["nbformat_minor"], int)
    assert document["metadata"]["kernelspec"]["language"] == "python"
    assert document["metadata"]["kernelspec"]["name"] and document["metadata"]["kernelspec"]["display_name"]
    assert document["metadata"]["language_info"]["name"] == "python"
    assert document["cells"]
    for cell in document["cells"]:
        assert cell["cell_type"] in ("markdown", "code") and cell["metadata"] == {}
        assert isinstance(cell["source"], list) and all(isinstance(line, str) for line in cell["source"])
        if document["nbformat_minor"] >= 5:
            assert cell["id"]
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
        else:
            assert set(cell) <= {"cell_type", "id", "metadata", "source", "attachments"}
    assert len({cell.get("id") for cell in document["cells"]}) == len(document["cells"])
    try:
        import nbformat
    except ImportError:
        pass
    else:
        nbformat.validate(nbformat.from_dict(document))
    return "\n\n".join("".join(cell["source"]) for cell in document["cells"] if cell["cell_type"] == "code") + "\n"


def assert_metrics_match(run, printed):
    """Evaluate Model's metrics, as the script prints them, equal the run's."""
    metrics = store.load_output(run_output_record(run, "evaluate", "evaluation_results")).metrics
    numbers = {name: value for name, value in metrics.items() if isinstance(value, float)}
    assert numbers
    for name, value in numbers.items():
        assert float(printed[name]) == pytest.approx(value, abs=1e-9), name


def assert_scores_match(run_scores, script_scores, columns):
    assert len(run_scores) == len(script_scores)
    for column in columns:
        expected, got = run_scores[column], script_scores[column]
        if pd.api.types.is_numeric_dtype(expected):
            np.testing.assert_allclose(got.to_numpy(float), expected.to_numpy(float), rtol=0, atol=1e-9,
                                       err_msg=column)
        else:
            assert got.astype(str).tolist() == expected.astype(str).tolist(), column


@pytest.fixture
def api(owner_client):
    return owner_client


def test_income_experiment_exports_a_script_that_scores_as_the_run(owner, api, tmp_path):
    adult = sample("Adult Census Income Binary Classification dataset")
    graph = training_graph(adult.pk, "two-class-boosted-decision-tree", "income",
                           [("clean", "clean-missing-data", {"cleaning_mode": "Replace with mode"})],
                           {"stratified_split": True, "stratification_key_column": ["income"]})
    run = run_now(owner.workspace, graph, name="income")
    for kind in EXPORTS:
        source, scored, printed = exported_scores(api, run.experiment, tmp_path, "adult-census-income.csv.gz", kind)
        assert "def two_class_boosted_decision_tree_learner():" in source
        assert "HistGradientBoostingClassifier(" in source
        assert "random_seed" not in source.split("def main" if kind == "python" else "input_files = {")[0]
        assert_scores_match(output_frame(run, "score", "scored_dataset"), scored,
                            ["Scored Labels", "Scored Probabilities", "income", "age"])
        assert_metrics_match(run, printed)


def test_auto_mpg_regression_exports_and_matches(owner, api, tmp_path):
    mpg = sample("Automobile MPG dataset")
    run = run_now(owner.workspace, training_graph(mpg.pk, "boosted-decision-tree-regression", "mpg"), name="mpg")
    for kind in EXPORTS:
        _, scored, printed = exported_scores(api, run.experiment, tmp_path, "automobile-mpg.csv.gz", kind)
        assert_scores_match(output_frame(run, "score", "scored_dataset"), scored, ["Scored Labels", "mpg"])
        assert_metrics_match(run, printed)


def test_iris_multiclass_exports_and_matches(owner, api, tmp_path):
    iris = sample("Iris Multiclass Data")
    run = run_now(owner.workspace, training_graph(iris.pk, "multiclass-logistic-regression", "Class"), name="iris")
    frame = output_frame(run, "score", "scored_dataset")
    for kind in EXPORTS:
        _, scored, printed = exported_scores(api, run.experiment, tmp_path, "iris-multiclass.csv.gz", kind)
        assert_scores_match(frame, scored, [c for c in frame.columns if c.startswith("Scored")])
        assert_metrics_match(run, printed)


def test_not_finished_and_unexportable_experiments_are_refused_with_the_reason(owner, api):
    iris = sample("Iris Multiclass Data")
    graph = training_graph(iris.pk, "multiclass-logistic-regression", "Class")
    experiment = Experiment.objects.create(workspace=owner.workspace, name="never run", graph=graph)
    response = api.get(f"/api/experiments/{experiment.pk}/export/?format=python")
    assert response.status_code == 400 and response.json()["detail"].startswith("Run the experiment first")
    assert api.get(f"/api/experiments/{experiment.pk}/export/?format=mlflow").status_code == 400
    as_notebook = api.get(f"/api/experiments/{experiment.pk}/export/?format=notebook")
    assert as_notebook.status_code == 400 and as_notebook.json() == response.json()

    graph = training_graph(iris.pk, "multiclass-logistic-regression", "Class",
                           [("norm", "normalize-data", {"columns": ["sepal-length"]})])
    run = run_now(owner.workspace, graph, name="normalized")
    response = api.get(f"/api/experiments/{run.experiment.pk}/export/?format=python")
    assert response.status_code == 400
    assert response.json()["detail"] == ("Normalize Data (node norm) can't be exported as code: Normalize Data has "
                                         "no code form yet")
    assert response.json()["errors"][0]["node"] == "norm"
    as_notebook = api.get(f"/api/experiments/{run.experiment.pk}/export/?format=notebook")
    assert as_notebook.status_code == 400 and as_notebook.json() == response.json()
    response = api.get(f"/api/experiments/{run.experiment.pk}/export/?format=mlflow")
    assert response.status_code == 400 and "Normalize Data (node norm)" in response.json()["detail"]
    response = api.get(f"/api/experiments/{run.experiment.pk}/export/?format=pdf")
    assert response.status_code == 400
    assert response.json()["detail"] == "Unknown export format 'pdf'; choose python, notebook or mlflow."


def mlflow_python():
    """A Python that imports MLflow: this one, or the install $ATELIER_BENCH_MLFLOW names (bench/scoring.py)."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        bench = Path(os.environ.get("ATELIER_BENCH_MLFLOW", "/nonexistent")).parent / "python"
        if bench.exists():
            return str(bench)
        pytest.skip("MLflow isn't installed here (or set ATELIER_BENCH_MLFLOW to an MLflow install's bin/mlflow)")
    return sys.executable


LOAD_AND_PREDICT = """
import sys
import mlflow.pyfunc
import pandas as pd
model = mlflow.pyfunc.load_model(sys.argv[1])
rows = pd.read_json(sys.argv[2], orient="split")
model.predict(rows).to_csv(sys.argv[3], index=False)
print(model.metadata.get_input_schema().input_names()[:3])
"""


def test_income_exports_an_mlflow_model_that_scores_as_the_endpoint(owner, api, tmp_path):
    python = mlflow_python()
    adult = sample("Adult Census Income Binary Classification dataset")
    graph = training_graph(adult.pk, "two-class-boosted-decision-tree", "income",
                           [("clean", "clean-missing-data", {"cleaning_mode": "Replace with mode"})])
    run = run_now(owner.workspace, graph, name="income mlflow")
    response = api.get(f"/api/experiments/{run.experiment.pk}/export/?format=mlflow")
    assert response.status_code == 200, response.content
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(tmp_path)
    (directory,) = [path for path in tmp_path.iterdir() if path.is_dir()]
    assert "python_function" in (directory / "MLmodel").read_text()

    raw = output_frame(run, "data", "dataset").head(3000)
    assert raw.isna().any().any()  # rows with missing values: the learned cleaning must apply
    rows = tmp_path / "rows.json"
    raw.drop(columns=["income"]).to_json(rows, orient="split", index=False)
    predicted = tmp_path / "predicted.csv"
    done = subprocess.run([python, "-c", LOAD_AND_PREDICT, str(directory), str(rows), str(predicted)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)  # its mlruns/ there
    assert done.returncode == 0, done.stderr[-3000:]

    # What the endpoint computes for these rows: the run's cleaning as a service applies it, then Score Model.
    cleaning = store.load_output(run_output_record(run, "clean", "cleaning_transformation")).served(["income"])
    model = store.load_output(run_output_record(run, "train", "trained_model"))
    expected = scored_table(model, cleaning.apply(DataTable(raw.drop(columns=["income"])))).frame
    assert_scores_match(expected, pd.read_csv(predicted, keep_default_na=False, na_values=[""]),
                        ["Scored Labels", "Scored Probabilities", "age", "workclass"])


def test_the_export_route_is_in_the_openapi_schema(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/experiments/{id}/export/"]["get"]
    (format_parameter,) = [p for p in operation["parameters"] if p["name"] == "format"]
    assert sorted(format_parameter["schema"]["enum"]) == ["mlflow", "notebook", "python"]
    assert set(operation["responses"]["200"]["content"]) == {"text/x-python", "application/x-ipynb+json",
                                                             "application/zip"}


def test_a_predictive_experiment_exports_as_an_mlflow_model_and_is_refused_as_a_script(owner, api, tmp_path):
    python = mlflow_python()
    adult = sample("Adult Census Income Binary Classification dataset")
    graph = training_graph(adult.pk, "two-class-boosted-decision-tree", "income",
                           [("clean", "clean-missing-data", {"cleaning_mode": "Replace with mode"})])
    training = run_now(owner.workspace, graph, name="income").experiment
    predictive = setup_web_service(experiment=training, kind="predictive").experiment
    run = run_now(owner.workspace, predictive.graph, experiment=predictive)

    response = api.get(f"/api/experiments/{predictive.pk}/export/?format=python")
    assert response.status_code == 400
    assert "Trained Model (node train) can't be exported as code: it is a model trained in another run" \
        in response.json()["detail"]
    assert api.get(f"/api/experiments/{predictive.pk}/export/?format=notebook").json() == response.json()

    response = api.get(f"/api/experiments/{predictive.pk}/export/?format=mlflow")
    assert response.status_code == 200, response.content
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(tmp_path)
    (directory,) = [path for path in tmp_path.iterdir() if path.is_dir()]
    raw = output_frame(run, "data", "dataset").tail(2000).drop(columns=["income"])
    rows = tmp_path / "rows.json"
    raw.to_json(rows, orient="split", index=False)
    predicted = tmp_path / "predicted.csv"
    done = subprocess.run([python, "-c", LOAD_AND_PREDICT, str(directory), str(rows), str(predicted)],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)  # its mlruns/ there
    assert done.returncode == 0, done.stderr[-3000:]
    # The predictive experiment's own scoring path, as the endpoint runs it: its saved cleaning and model.
    cleaning = store.load_output(run_output_record(run, "clean-transform", "transformation")).served(["income"])
    model = store.load_output(run_output_record(run, "train", "trained_model"))
    expected = scored_table(model, cleaning.apply(DataTable(raw.reset_index(drop=True)))).frame
    assert_scores_match(expected, pd.read_csv(predicted, keep_default_na=False, na_values=[""]),
                        ["Scored Labels", "Scored Probabilities", "occupation"])


def test_every_learner_writes_the_estimator_it_builds_or_says_why_not():
    """Each Initialize Model module's code form, run, builds an estimator with the same parameters as
    build_estimator's (Single Parameter mode, defaults); the learners that can't say why."""
    from experiments.modules.framework.code_forms import CodeNode, NoCodeForm
    from experiments.modules.framework.registry import registry
    from experiments.modules.learners import Learner

    refused = {}
    for module in registry.all():
        if not (isinstance(module, type) and issubclass(module, Learner)) or module.inputs:
            continue
        params, _ = module.clean_params({})
        try:
            form = module.code_form(CodeNode("learner", params))
        except NoCodeForm as reason:
            refused[module.id] = str(reason)
            continue
        scope = {}
        source = "\n".join(form.imports) + "\nestimator = " + form.body.strip().removeprefix("return ")
        exec(source, scope)  # noqa: S102  (the code the export writes is what this test runs)
        built = module.build_estimator(params)
        assert repr(scope["estimator"].get_params(deep=True)) == repr(built.get_params(deep=True)), module.id
    assert set(refused) == {"pca-based-anomaly-detection"}, refused
    assert "experiments.modules.training.PCAAnomalyDetector is not part of scikit-learn" in \
        refused["pca-based-anomaly-detection"]


def test_make_installs_the_mlflow_the_exported_model_requires():
    """`make test` and `make bench` load the export with the MLflow its requirements.txt names as the minimum."""
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    minimum = re.search(r"^MLFLOW_MIN := (\S+)$", makefile, re.MULTILINE)
    assert minimum is not None and MLFLOW_REQUIREMENT == f"mlflow>={minimum.group(1)}"
