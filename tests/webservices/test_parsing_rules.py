"""Issue 18, item 2: a dataset's parsing rules reach the service trained on it.

The raw UCI Automobile price file marks missing values with `?`; the upload reads them as missing, and the
service must too: its first raw row scored over HTTP answered 400 "'?' is not a number". And a file uploaded
with its own rules (missing `-`, decimal comma, `ja`/`nein`) is scored by those rules, over RRS and in a batch
job, while a `?` there is a value like any other (refused in a number column). A batch input with a line of the
wrong length fails the job naming the line (item 3)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np
import pandas as pd
import pytest

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Dataset, Experiment
from tests.experiments.helpers import run_now
from tests.webservices.test_bes import wait
from tests.webservices.test_deploy import publish
from tests.webservices.test_rrs import call
from webservices.models import WebService

pytestmark = pytest.mark.django_db(transaction=True)
AUTOMOBILE = Path(__file__).parent.parent / "data" / "automobile-price-raw.csv"


def uploaded(api, name: str, data: bytes, filename: str, **options: str) -> Dataset:
    response = api.post("/api/datasets/", {"file": io.BytesIO(data), "name": name, **options}, format="multipart")
    assert response.status_code == 201, response.json()
    return Dataset.objects.get(pk=response.json()["id"])


def deployed(api, owner, dataset: Dataset, label: str) -> dict[str, str]:
    """Dataset -> Train Model (linear regression) -> Score Model, set up and deployed: the endpoint's URLs and key."""
    graph = {"nodes": [node("data", "dataset", dataset=dataset.pk), node("learner", "linear-regression"),
                       node("train", "train-model", label_column=[label]), node("score", "score-model")],
             "edges": [edge("data", "dataset", "train", "dataset"),
                       edge("learner", "untrained_model", "train", "untrained_model"),
                       edge("train", "trained_model", "score", "trained_model"),
                       edge("data", "dataset", "score", "dataset")]}
    training = Experiment.objects.create(workspace=owner.workspace, name=dataset.name, graph=graph)
    run_now(owner.workspace, training.graph, experiment=training)
    return publish(api, owner, training)[2]["endpoint"]


def raw_rows(text: str, count: int, skip: int = 0) -> tuple[list[str], list[list[str]]]:
    """The file's header and `count` data lines, each cell as the file writes it (`?` and all)."""
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1 + skip:1 + skip + count]


def score(studio_server, endpoint, names, values):
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path + "/execute?api-version=2.0"
    body = {"Inputs": {"input1": {"ColumnNames": names, "Values": values}}, "GlobalParameters": {}}
    return call(url, endpoint["PrimaryKey"], body)


def batch(studio_server, owner, endpoint, location: str, data: bytes) -> tuple[dict, pd.DataFrame | None]:
    """Put `data` in the workspace storage and score it with a batch job: (its final status, its output)."""
    jobs = studio_server.url + urlsplit(endpoint["BatchLocation"]).path
    headers = {"Authorization": f"Bearer {endpoint['PrimaryKey']}"}
    storage = f"{studio_server.url}/workspaces/{owner.workspace.pk}/storage"
    assert httpx.put(f"{storage}/{location}", content=data, headers=headers).status_code == 201
    body = {"Inputs": {"input1": {"ConnectionString": "", "RelativeLocation": location}},
            "Outputs": {"output1": {"ConnectionString": "", "RelativeLocation": f"{location}.scored.csv"}},
            "GlobalParameters": {}}
    job_id = httpx.post(f"{jobs}?api-version=2.0", json=body, headers=headers).json()
    assert httpx.post(f"{jobs}/{job_id}/start?api-version=2.0", headers=headers).status_code == 200
    status = wait(jobs, headers, job_id)
    if status["StatusCode"] != "Finished":
        return status, None
    result = status["Results"]["output1"]
    download = httpx.get(result["BaseLocation"] + result["RelativeLocation"] + result["SasBlobToken"])
    return status, pd.read_csv(io.BytesIO(download.content))


def test_the_raw_automobile_rows_score_with_their_question_marks(api, owner, studio_server, worker):
    text = AUTOMOBILE.read_text()
    dataset = uploaded(api, "Automobile price (raw)", text.encode(), "automobile-price-raw.csv")
    assert dataset.parsing["missing"][:2] == ["", "?"]  # the default rules, recorded
    endpoint = deployed(api, owner, dataset, "price")
    schema = WebService.objects.get().current.input_schema["input1"]
    assert all("parsing" not in column for column in schema)  # the defaults: nothing to record per column

    names, values = raw_rows(text, 5)
    assert "?" in values[0]  # normalized-losses of the first car
    status, body = score(studio_server, endpoint, names, values)
    assert status == 200, body
    scored = body["Results"]["output1"]["value"]
    position = scored["ColumnNames"].index("Scored Labels")
    assert all(row[position] is not None for row in scored["Values"])

    status, output = batch(studio_server, owner, endpoint, "cars/raw.csv", "\n".join(text.splitlines()[:41]).encode())
    assert status["StatusCode"] == "Finished", status
    assert output is not None and len(output) == 40 and output["Scored Labels"].notna().all()
    assert output["normalized-losses"].isna().sum() == sum(row[1] == "?" for row in raw_rows(text, 40)[1])


def own_rules_file(rows: int = 60) -> bytes:
    """x numbers with a decimal comma, `-` for missing, flag ja/nein; y = 2x + 3 (+1 when flagged)."""
    generator = np.random.default_rng(18)
    lines = ["x;flag;note;y"]
    for index in range(rows):
        x = round(float(generator.uniform(0, 10)), 2)
        flag = index % 2 == 0
        shown = "-" if index % 7 == 3 else str(x).replace(".", ",")
        y = str(round(2 * x + 3 + flag, 3)).replace(".", ",")
        lines.append(f"{shown};{'ja' if flag else 'nein'};{'-' if index % 5 == 0 else 'n' + str(index)};{y}")
    return ("\n".join(lines) + "\n").encode()


def test_a_file_with_its_own_markers_is_scored_by_them(api, owner, studio_server, worker):
    dataset = uploaded(api, "Own rules", own_rules_file(), "own.csv", missing="-", decimal=",", separator=";",
                       true="ja", false="nein")
    assert dataset.parsing == {"missing": ["", "-"], "decimal": ",", "true": ["ja"], "false": ["nein"],
                               "lenient": False, "separator": ";"}
    kinds = {column["name"]: column["kind"] for column in dataset.columns}
    assert kinds == {"x": "numeric", "flag": "boolean", "note": "string", "y": "numeric"}
    endpoint = deployed(api, owner, dataset, "y")
    schema = WebService.objects.get().current.input_schema["input1"]
    assert all(column["parsing"]["missing"] == ["", "-"] for column in schema)

    names = ["x", "flag", "note"]
    status, body = score(studio_server, endpoint, names, [["1,5", "ja", "-"], ["-", "nein", "n2"], ["4", "ja", "-"]])
    assert status == 200, body
    value = body["Results"]["output1"]["value"]
    rows = [dict(zip(value["ColumnNames"], row, strict=True)) for row in value["Values"]]
    assert [row["x"] for row in rows] == ["1.5", None, "4.0"]
    assert [row["flag"] for row in rows] == ["True", "False", "True"]
    assert rows[2]["note"] is None and all(row["Scored Labels"] is not None for row in rows)
    status, point = score(studio_server, endpoint, names, [["1.5", "True", ""]])  # the same row, written plainly
    assert status == 200 and point["Results"]["output1"]["value"]["Values"][0] == value["Values"][0], point

    status, body = score(studio_server, endpoint, names, [["?", "ja", "n1"]])  # '?' is no marker of this dataset
    assert status == 400 and body["error"]["details"][0]["message"] == "Column 'x', row 1: '?' is not a number", body

    data = b'x,flag,note\n"1,5",ja,-\n-,nein,n2\n"2,25",ja,n3\n'  # a batch input is comma-separated
    status, output = batch(studio_server, owner, endpoint, "own/in.csv", data)
    assert status["StatusCode"] == "Finished", status
    assert output is not None and output["x"].tolist()[0] == 1.5 and np.isnan(output["x"].tolist()[1])
    assert output["flag"].tolist() == [True, False, True] and output["Scored Labels"].notna().all()


def test_a_batch_input_with_a_short_line_fails_naming_it(api, owner, studio_server, worker):
    dataset = uploaded(api, "Small", b"x,y\n" + b"".join(f"{i},{2 * i}\n".encode() for i in range(30)), "s.csv")
    endpoint = deployed(api, owner, dataset, "y")
    for data, line in ((b"x\n1\n2\n\n3,4\n", 5), (b'x\n1\n"2"\n3,\n', 4)):  # without quotes, then with
        status, _ = batch(studio_server, owner, endpoint, f"short/{line}.csv", data)
        assert status["StatusCode"] == "Failed", status
        assert f"Line {line} has 2 fields; the header has 1." in status["Details"], status
