"""Issue 18, item 1: the label is optional at scoring, whichever module learned or names it.

A regression on the raw Automobile price data (label `price`, with missing values, `?` in the file) deployed,
and scoring without `price` answered 400 "The dataset lacks column 'price', which Clean Missing Data learned
from its training data". Each case here trains an experiment with one data transformation (or a chain of them)
before Train Model, sets it up, deploys it, and scores the same rows over HTTP three ways: with the label, without
it, and with it empty. The three answers must agree on every column but the label, and a row is never dropped
for lacking its label. A missing feature is still a 400 that names it, and the API document marks the label
optional.

Datasets: the Adult sample (label `income` marked in the dataset, as the sample has it), Auto MPG stored as an
upload would be (nothing marked: Train Model names `mpg`), and the Automobile price file uploaded as it is.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pandas as pd
import pytest

from experiments.datasets import dataset_store, dataset_table, samples_load
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Dataset, Experiment
from experiments.modules.framework.datatable import DataTable
from tests.experiments.helpers import run_now
from tests.webservices.test_bes import upload, wait
from tests.webservices.test_deploy import publish
from tests.webservices.test_rrs import call
from webservices.scoring.served import served
from webservices.scoring.wire import format_outputs, parse_inputs

pytestmark = pytest.mark.django_db(transaction=True)
AUTOMOBILE = Path(__file__).parent.parent / "data" / "automobile-price-raw.csv"


@dataclass(frozen=True)
class Data:
    """A dataset as the experiment reads it, its label, its learner, and the rows the service is sent."""

    dataset: Dataset
    label: str
    learner: str
    frame: pd.DataFrame  # the table as stored (missing values as NaN)
    categorical: tuple[str, ...]  # text columns worth indicator columns

    @property
    def features(self) -> list[str]:
        return [column for column in self.frame.columns if column != self.label]

    def rows(self) -> pd.DataFrame:
        """A dozen rows with a label, and every row without one."""
        labelled = self.frame[self.frame[self.label].notna()]
        return pd.concat([labelled.iloc[::max(len(labelled) // 12, 1)].head(12),
                          self.frame[self.frame[self.label].isna()]])


def adult(owner) -> Data:
    """The Adult sample (a slice of it, for speed), with `income` marked as the label as the sample has it."""
    samples_load(["Adult Census Income Binary Classification dataset"])
    table = dataset_table(Dataset.objects.get(name="Adult Census Income Binary Classification dataset"))
    stored = dataset_store(table=DataTable(table.frame.head(1500), table.roles), name="adult slice",
                           workspace=owner.workspace, source="upload")
    return Data(stored, "income", "two-class-logistic-regression", dataset_table(stored).frame,
                ("workclass", "education", "sex"))


def auto_mpg(owner) -> Data:
    """Auto MPG as an upload would have it: no column marked, Train Model names the label."""
    samples_load(["Automobile MPG dataset"])
    frame = dataset_table(Dataset.objects.get(name="Automobile MPG dataset")).frame
    stored = dataset_store(table=DataTable(frame), name="auto mpg", workspace=owner.workspace, source="upload")
    return Data(stored, "mpg", "linear-regression", frame, ())


def with_unpriced_cars(text: str) -> bytes:
    """The file with `?` for the price of four cars, as the original UCI file has them (its rows 10, 45, 46 and
    130): the copy in tests/data has every price."""
    lines = text.splitlines()
    for row in (10, 45, 46, 130):
        lines[row] = lines[row].rsplit(",", 1)[0] + ",?"
    return ("\n".join(lines) + "\n").encode()


def automobile_price(owner, api) -> Data:
    """The raw UCI file uploaded as a user does: `?` for missing, `price` missing in four rows."""
    raw = with_unpriced_cars(AUTOMOBILE.read_text())
    response = api.post("/api/datasets/", {"file": io.BytesIO(raw), "name": "Automobile price"}, format="multipart")
    assert response.status_code == 201, response.json()
    stored = Dataset.objects.get(pk=response.json()["id"])
    frame = dataset_table(stored).frame
    assert frame["price"].isna().sum() == 4
    return Data(stored, "price", "linear-regression", frame, ("make", "body-style", "fuel-type"))


DATASETS: dict[str, Callable[..., Data]] = {"adult": adult, "auto-mpg": auto_mpg, "automobile-price": automobile_price}

# Each step: (node id, module, parameters, its table input, its table output).
Step = tuple[str, str, dict[str, object], str, str]


def quoted(names: list[str]) -> str:
    return ", ".join('"' + name.replace('"', '""') + '"' for name in names)


STEPS: dict[str, Callable[[Data], Step]] = {
    "clean-remove-rows": lambda d: ("clean", "clean-missing-data", {"cleaning_mode": "Remove entire row"},
                                    "dataset", "cleaned_dataset"),
    "clean-replace": lambda d: ("clean", "clean-missing-data", {"cleaning_mode": "Replace with mode"},
                                "dataset", "cleaned_dataset"),
    "normalize": lambda d: ("normalize", "normalize-data", {}, "dataset", "transformed_dataset"),  # every number
    "bins": lambda d: ("bins", "group-data-into-bins", {"number_of_bins": 4, "output_mode": "Inplace",
                                                       "tag_columns_as_categorical": False},
                       "dataset", "quantized_dataset"),  # every number, the label too when nothing marks it
    "edit-metadata": lambda d: ("edit", "edit-metadata", {"columns": [d.label], "fields": "Label"},
                                "dataset", "results_dataset"),
    "sql": lambda d: ("sql", "apply-sql-transformation",
                      {"sql_query_script": f"SELECT {quoted([*d.features, d.label])} FROM t1;"},  # noqa: S608 (the test's own names)
                      "t1", "results_dataset"),
    "select": lambda d: ("select", "select-columns-in-dataset", {"columns": [*d.features, d.label]}, "dataset",
                         "results_dataset"),
    "indicators": lambda d: ("indicators", "convert-to-indicator-values",
                             {"categorical_columns_to_convert": list(d.categorical)}, "dataset", "results_dataset"),
    "feature-selection": lambda d: ("select-features", "filter-based-feature-selection",
                                    {"target_column": [d.label], "number_of_desired_features": 5}, "dataset",
                                    "filtered_dataset"),
}
CASES = {name: [name] for name in STEPS} | {
    "chain": ["clean-remove-rows", "edit-metadata", "normalize", "bins", "sql", "select", "indicators",
              "feature-selection"]}
# Tests whose rows start cleaned: a learner meets no missing feature it would have to encode.
REMOVES_ROWS = {"clean-remove-rows", "chain"}


def training_graph(data: Data, steps: list[Step]) -> dict[str, object]:
    nodes = [node("data", "dataset", dataset=data.dataset.pk),
             *[node(step_id, module, **params) for step_id, module, params, _, _ in steps],
             node("split", "split-data", fraction_of_rows_in_the_first_output_dataset=0.7, random_seed=7),
             node("learner", data.learner), node("train", "train-model", label_column=[data.label]),
             node("score", "score-model")]
    source, port = "data", "dataset"
    edges = []
    for step_id, _, _, into, out in steps:
        edges.append(edge(source, port, step_id, into))
        source, port = step_id, out
    edges += [edge(source, port, "split", "dataset"), edge("learner", "untrained_model", "train", "untrained_model"),
              edge("split", "results1", "train", "dataset"), edge("train", "trained_model", "score", "trained_model"),
              edge("split", "results2", "score", "dataset")]
    return {"nodes": nodes, "edges": edges}


def classic_body(rows: pd.DataFrame, label: str, how: str) -> dict[str, object]:
    """The rows as a classic client sends them, the label given, left out, or sent empty."""
    columns = [column for column in rows.columns if how != "absent" or column != label]
    values = [[None if value != value or (how == "empty" and column == label) else str(value)
               for column, value in zip(columns, row, strict=True)] for row in rows[columns].itertuples(index=False)]
    return {"Inputs": {"input1": {"ColumnNames": columns, "Values": values}}, "GlobalParameters": {}}


def answer_without(body: dict[str, object], label: str) -> list[dict[str, object]]:
    """The answer's rows as {column: value}, the label left out (it is only answered when sent)."""
    value = body["Results"]["output1"]["value"]  # type: ignore[index]
    return [{c: v for c, v in zip(value["ColumnNames"], row, strict=True) if c != label} for row in value["Values"]]


def deployed(dataset: str, case: str, api, owner, learner: str = "") -> tuple[Data, dict[str, Any]]:
    """The case's training experiment, run, set up and deployed: (its data, Deploy's answer)."""
    data = DATASETS[dataset](owner, api) if dataset == "automobile-price" else DATASETS[dataset](owner)
    data = replace(data, learner=learner or data.learner)
    if case == "indicators" and not data.categorical:
        pytest.skip("Auto MPG has no categories worth indicator columns")
    steps = [STEPS[name](data) for name in CASES[case]]
    training = Experiment.objects.create(workspace=owner.workspace, name=f"{dataset} {case}",
                                         graph=training_graph(data, steps))
    run_now(owner.workspace, training.graph, experiment=training)
    return data, publish(api, owner, training)[2]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("dataset", list(DATASETS))
def test_the_label_may_be_given_left_out_or_empty(dataset, case, api, owner, studio_server):
    data, answer = deployed(dataset, case, api, owner)
    endpoint = answer["endpoint"]
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path
    key = endpoint["PrimaryKey"]

    rows = data.rows()
    answers = {}
    for how in ("given", "absent", "empty"):
        status, body = call(f"{url}/execute?api-version=2.0", key, classic_body(rows, data.label, how))
        assert status == 200, (how, body)
        answers[how] = answer_without(body, data.label)
    assert answers["absent"] == answers["given"] == answers["empty"]
    complete = rows[data.features].notna().all(axis=1).sum()
    assert len(answers["absent"]) == (complete if case in REMOVES_ROWS else len(rows)) > 0
    assert all(row["Scored Labels"] is not None for row in answers["absent"])

    feature = data.features[-1]
    status, body = call(f"{url}/execute?api-version=2.0", key, classic_body(rows.drop(columns=[feature]), "", "given"))
    assert status == 400 and body["error"]["details"][0]["message"] == f"Column '{feature}' is missing", body

    document = httpx.get(f"{url}/swagger.json", headers={"Authorization": f"Bearer {key}"}).json()
    required = document["definitions"]["input1Item"]["required"]
    assert data.label not in required and set(data.features) <= set(required)
    studio_document = httpx.get(f"{studio_server.url}/web-services/{answer['web_service']}/endpoints/default/"
                                "swagger.json", headers={"Authorization": f"Bearer {key}"}).json()
    names = studio_document["components"]["schemas"]["Request"]["properties"]["Inputs"]["properties"]["input1"]
    assert f"'{data.label}' (the label) may be left out" in names["properties"]["ColumnNames"]["description"]


@pytest.mark.parametrize("case", ["clean-remove-rows", "clean-replace", "feature-selection"])
def test_the_row_kernels_supply_the_label_as_the_dataframe_path_does(case, api, owner):
    """Small requests take the row kernels (webservices/scoring/scorer.py `score_rows`): a label left out is
    supplied there too, and the answers are the DataFrame path's (boosted trees: their models have row kernels)."""
    data, answer = deployed("automobile-price", case, api, owner, learner="boosted-decision-tree-regression")
    state = served(answer["endpoint"]["Id"])
    assert state is not None and state.scorer.fast is not None
    rows = data.rows()
    for how in ("given", "absent", "empty"):
        tables = parse_inputs(classic_body(rows, data.label, how), state.input_schema, swagger=False, max_rows=100)
        fast = format_outputs(state.scorer.score_rows(tables), swagger=True, details=False)
        slow = format_outputs(state.scorer.score({name: table.table() for name, table in tables.items()}, {}),
                              swagger=True, details=False)
        assert fast == slow and (data.label in fast["output1"][0]) == (how != "absent")


def test_a_batch_job_scores_a_file_without_the_label_as_one_with_it_empty(api, owner, studio_server, worker):
    """BES reads each chunk by the input schema (batch_csv.typed_frame) and scores it with the same Scorer."""
    data, answer = deployed("automobile-price", "clean-remove-rows", api, owner)
    endpoint = answer["endpoint"]
    jobs = studio_server.url + urlsplit(endpoint["BatchLocation"]).path
    headers = {"Authorization": f"Bearer {endpoint['PrimaryKey']}"}
    storage = f"{studio_server.url}/workspaces/{owner.workspace.pk}/storage"
    scored = {}
    for how, frame in (("absent", data.frame.drop(columns=[data.label])), ("empty", data.frame.assign(price=None))):
        upload(storage, headers, f"cars/{how}.csv", frame)
        body = {"Inputs": {"input1": {"ConnectionString": "", "RelativeLocation": f"cars/{how}.csv"}},
                "Outputs": {"output1": {"ConnectionString": "", "RelativeLocation": f"cars/{how}-scored.csv"}},
                "GlobalParameters": {}}
        job_id = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers).json()
        assert httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers).status_code == 200
        status = wait(jobs, headers, job_id)
        assert status["StatusCode"] == "Finished", status
        result = status["Results"]["output1"]
        download = httpx.get(result["BaseLocation"] + result["RelativeLocation"] + result["SasBlobToken"])
        scored[how] = pd.read_csv(io.BytesIO(download.content))
    assert "price" not in scored["absent"].columns
    complete = int(data.frame[data.features].notna().all(axis=1).sum())
    assert len(scored["absent"]) == complete and scored["absent"]["Scored Labels"].notna().all()
    pd.testing.assert_frame_equal(scored["absent"], scored["empty"].drop(columns=["price"]))
