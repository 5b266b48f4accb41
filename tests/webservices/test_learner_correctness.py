"""Correctness over the whole catalogue (issue 18, item 6): for every learner, the deployed predictive service
answers exactly what the training experiment's Score Model (or Assign Data to Clusters) answered for the same
held-out rows: through RRS with one row and with 1,000 rows, in the classic and the swagger bodies, and through
a BES job on the real worker. The learners are read from the registry, so a learner added to the catalogue is
tested here without a line changed (or fails loudly for want of a dataset of its task).

Each training experiment cleans missing values (a transform the predictive experiment re-applies with the
training statistics), splits 70/30 and trains on a small sample dataset of the learner's task.
"""

from __future__ import annotations

import io
import json
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np
import pandas as pd
import pytest

from experiments.assets import output_save
from experiments.datasets import dataset_table, samples_load
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Dataset, Experiment
from experiments.modules.framework.registry import registry
from experiments.modules.learners import Learner
from tests.experiments.helpers import run_now
from tests.webservices.test_deploy import output_frame, publish

pytestmark = pytest.mark.django_db(transaction=True)

# A sample dataset and its label per task (the manifest's names; small, so the whole catalogue runs in minutes).
DATA = {"binary": ("German Credit Card UCI dataset", "Col21"),
        "multiclass": ("Wine Classification dataset", "Class"),
        "regression": ("Automobile MPG dataset", "mpg"),
        "clustering": ("Iris Multiclass Data", "Class"),
        "anomaly": ("Breast cancer data", "Class")}
LEARNERS = sorted(cls.id for cls in registry.all() if issubclass(cls, Learner))
BINARY_BASE = "two-class-logistic-regression"  # what One-vs-All Multiclass is given to train per class
TOLERANCE = 1e-9
ROWS_PER_CALL = 1000


def training_graph(learner: str, dataset_id: int, label: str) -> tuple[dict[str, Any], str, str]:
    """(graph, the node whose output the service answers, its port) for a learner of any task."""
    task = registry.get(learner).task
    if task == "clustering":
        train = node("train", "train-clustering-model")
        score, port = node("score", "assign-data-to-clusters"), "results_dataset"
    elif task == "anomaly":
        train, score, port = node("train", "train-anomaly-detection-model"), node("score", "score-model"), \
            "scored_dataset"
    else:
        train, score, port = node("train", "train-model", label_column=[label]), node("score", "score-model"), \
            "scored_dataset"
    nodes = [node("data", "dataset", dataset=dataset_id),
             node("clean", "clean-missing-data", cleaning_mode="Replace with mode"),
             node("split", "split-data", fraction_of_rows_in_the_first_output_dataset=0.7, random_seed=7),
             node("learner", learner), train, score]
    edges = [edge("data", "dataset", "clean", "dataset"), edge("clean", "cleaned_dataset", "split", "dataset"),
             edge("learner", "untrained_model", "train", "untrained_model"),
             edge("split", "results1", "train", "dataset"), edge("train", "trained_model", "score", "trained_model"),
             edge("split", "results2", "score", "dataset")]
    if registry.get(learner).inputs:  # One-vs-All Multiclass wraps a two-class learner
        nodes.append(node("binary", BINARY_BASE))
        edges.append(edge("binary", "untrained_model", "learner", "untrained_model"))
    return {"nodes": nodes, "edges": edges}, "score", port


@pytest.fixture
def trained(request, api, owner):
    """(learner, held-out rows, what training scored for them, the deploy answer) for the parametrized learner."""
    learner = request.param
    name, label = DATA[registry.get(learner).task]
    samples_load([name])
    graph, scorer, port = training_graph(learner, Dataset.objects.get(name=name).pk, label)
    training = Experiment.objects.create(workspace=owner.workspace, name=f"{learner} correctness", graph=graph)
    run = run_now(owner.workspace, graph, experiment=training)
    held_out = dataset_table(output_save(run=run, node="split", port="results2", name="held out")).frame
    expected = output_frame(run, scorer, port)
    answer = publish(api, owner, training)[2]
    assert "endpoint" in answer, answer
    return learner, held_out.reset_index(drop=True), expected.reset_index(drop=True), answer["endpoint"]


def plain(value: Any) -> Any:
    """A cell as JSON carries it (numpy scalars as Python ones, NaN as null)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value.item() if isinstance(value, np.generic) else value


def assert_same(got: pd.DataFrame, expected: pd.DataFrame, how: str) -> None:
    """Every column the service answered equals the training output's: numbers within TOLERANCE, the rest as
    text (the classic body carries every cell as a string)."""
    assert set(got.columns) == set(expected.columns), f"{how}: columns {list(got.columns)}"
    assert len(got) == len(expected), how
    for column in expected.columns:
        want, have = expected[column], got[column]
        if pd.api.types.is_numeric_dtype(want) and not pd.api.types.is_bool_dtype(want):
            numbers = [None if plain(v) is None else float(v) for v in have]
            assert numbers == pytest.approx([plain(float(v)) for v in want], abs=TOLERANCE, nan_ok=True), \
                f"{how}: column {column!r}"
        else:
            assert [None if plain(v) is None else str(v) for v in have] == \
                   [None if plain(v) is None else str(v) for v in want], f"{how}: column {column!r}"


def post(url: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(url, content=json.dumps(body).encode(), timeout=60,
                          headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return response.json()


def rrs_classic(url: str, key: str, rows: pd.DataFrame) -> pd.DataFrame:
    values = [[None if plain(v) is None else str(plain(v)) for v in row] for row in rows.itertuples(index=False)]
    body = {"Inputs": {"input1": {"ColumnNames": list(rows.columns), "Values": values}}, "GlobalParameters": {}}
    table = post(f"{url}?api-version=2.0&details=true", key, body)["Results"]["output1"]["value"]
    return pd.DataFrame(table["Values"], columns=table["ColumnNames"])


def rrs_swagger(url: str, key: str, rows: pd.DataFrame) -> pd.DataFrame:
    records = [{k: plain(v) for k, v in row.items()} for row in rows.to_dict("records")]
    answer = post(f"{url}?api-version=2.0&format=swagger", key, {"Inputs": {"input1": records},
                                                                 "GlobalParameters": {}})
    return pd.DataFrame(answer["Results"]["output1"])


def bes(base: str, workspace: int, endpoint: dict[str, Any], rows: pd.DataFrame) -> pd.DataFrame:
    headers = {"Authorization": f"Bearer {endpoint['PrimaryKey']}"}
    stored = httpx.put(f"{base}/workspaces/{workspace}/storage/correctness/input.csv", headers=headers,
                       content=rows.to_csv(index=False).encode(), timeout=60)
    assert stored.status_code == 201, stored.text
    jobs = base + urlsplit(endpoint["BatchLocation"]).path
    body = {"Inputs": {"input1": {"ConnectionString": "", "RelativeLocation": "correctness/input.csv"}},
            "Outputs": {"output1": {"ConnectionString": "", "RelativeLocation": "correctness/scored.csv"}},
            "GlobalParameters": {}}
    job = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers, timeout=60).json()
    assert httpx.post(f"{jobs}/{job}/start?api-version=2.0", headers=headers, timeout=60).status_code == 200
    deadline = time.monotonic() + 180
    while (status := httpx.get(f"{jobs}/{job}?api-version=2.0", headers=headers, timeout=60).json())[
            "StatusCode"] in ("NotStarted", "Running"):
        assert time.monotonic() < deadline, status
        time.sleep(0.3)
    assert status["StatusCode"] == "Finished", status
    result = status["Results"]["output1"]
    download = httpx.get(result["BaseLocation"] + result["RelativeLocation"] + result["SasBlobToken"], timeout=60)
    assert download.status_code == 200, download.text
    return pd.read_csv(io.BytesIO(download.content))


def test_the_catalogue_has_a_dataset_for_every_learners_task():
    assert {registry.get(learner).task for learner in LEARNERS} <= set(DATA)
    assert len(LEARNERS) >= 20


@pytest.mark.parametrize("trained", LEARNERS, indirect=True)
def test_the_service_answers_as_training_scored_by_rrs_and_bes(trained, owner, studio_server, worker):
    learner, held_out, expected, endpoint = trained
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path + "/execute"
    key = endpoint["PrimaryKey"]

    assert_same(rrs_classic(url, key, held_out.head(1)), expected.head(1), f"{learner}: one row, classic")
    assert_same(rrs_swagger(url, key, held_out.head(1)), expected.head(1), f"{learner}: one row, swagger")
    many = held_out.sample(ROWS_PER_CALL, replace=True, random_state=11).index  # more rows than were held out
    assert_same(rrs_classic(url, key, held_out.loc[many]), expected.loc[many],
                f"{learner}: {ROWS_PER_CALL} rows, classic")
    assert_same(rrs_swagger(url, key, held_out.loc[many]), expected.loc[many],
                f"{learner}: {ROWS_PER_CALL} rows, swagger")
    assert_same(bes(studio_server.url, owner.workspace.pk, endpoint, held_out), expected, f"{learner}: BES")
