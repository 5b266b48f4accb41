"""The Request-Response Service over real HTTP (the uvicorn server), with a client written from SPEC §3 alone.

The client below imports nothing from the project: it builds the classic and swagger bodies by hand, as an
existing Azure ML Studio client would, and only the base URL and key differ.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from experiments.assets import output_save
from experiments.datasets import dataset_table
from experiments.models import Experiment
from tests.experiments.helpers import run_now
from tests.webservices.test_deploy import deploy, income, output_frame, setup  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def call(url, key, body, raw=None):
    """POST JSON with a Bearer key; returns (status, parsed body). Plain urllib: nothing of Atelier."""
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def service(api, owner, income, studio_server):  # noqa: F811
    training, training_run = income
    predictive = Experiment.objects.get(pk=setup(api, training).json()["experiment"])
    run_now(owner.workspace, predictive.graph, experiment=predictive)
    endpoint = deploy(api, predictive).json()["endpoint"]
    url = studio_server.url + urlsplit(endpoint["ApiLocation"]).path
    held_out = output_save(run=training_run, node="split", port="results2", name="held out")
    rows = dataset_table(held_out).frame.head(25)
    expected = output_frame(training_run, "score", "scored_dataset").head(25)
    return url, endpoint["PrimaryKey"], endpoint["SecondaryKey"], rows, expected


def classic_body(rows, drop=()):
    columns = [c for c in rows.columns if c not in drop]
    return {"Inputs": {"input1": {"ColumnNames": columns,
                                  "Values": [[None if v != v else str(v) for v in row]
                                             for row in rows[columns].itertuples(index=False)]}},
            "GlobalParameters": {}}


def test_classic_and_swagger_calls_score_exactly_as_the_training_run(service):
    url, key, secondary, rows, expected = service
    status, body = call(f"{url}?api-version=2.0&details=true", key, classic_body(rows, drop=["income"]))
    assert status == 200, body
    table = body["Results"]["output1"]
    assert table["type"] == "table"
    names, values = table["value"]["ColumnNames"], table["value"]["Values"]
    assert names[-2:] == ["Scored Labels", "Scored Probabilities"] and "income" not in names
    assert table["value"]["ColumnTypes"][names.index("Scored Probabilities")] == "Double"
    assert all(isinstance(cell, str) for row in values for cell in row if cell is not None)
    assert [row[-2] for row in values] == expected["Scored Labels"].astype(str).tolist()
    assert [float(row[-1]) for row in values] == pytest.approx(expected["Scored Probabilities"].tolist(), abs=1e-12)
    assert set(body) == {"Results", "ContainerAllocationDurationMs", "ExecutionDurationMs", "IsWarmContainer"}

    swagger = {"Inputs": {"input1": [{k: (None if v != v else v.item() if hasattr(v, "item") else v)
                                      for k, v in row.items()} for row in rows.to_dict("records")]},
               "GlobalParameters": {}}
    status, body = call(f"{url}?api-version=2.0&format=swagger", secondary, swagger)
    assert status == 200, body
    scored = body["Results"]["output1"]
    assert [row["Scored Probabilities"] for row in scored] == pytest.approx(
        expected["Scored Probabilities"].tolist(), abs=1e-12)
    assert isinstance(scored[0]["age"], (int, float))


@pytest.mark.parametrize(("case", "status", "fragment"), [
    ("not json", 400, "not valid JSON"),
    ("list body", 400, "must be a JSON object"),
    ("extra key", 400, "Unknown top-level key 'Outputs'"),
    ("unknown input", 400, "Unknown input 'input2'"),
    ("missing column", 400, "Column 'age' is missing"),
    ("ragged", 400, "row 2 has 1 values"),
    ("bad number", 400, "Column 'age', row 1: 'forty' is not a number"),
    ("empty", 400, "has no rows"),
    ("wrong key", 401, "wrong API key"),
    ("no key", 401, "wrong API key"),
    ("api version", 400, "api-version must be 2.0"),
    ("unknown endpoint", 404, "No such web service endpoint"),
    ("too many rows", 413, "at most"),
])
def test_bad_requests_get_a_precise_error_and_never_a_500(service, case, status, fragment, settings):
    url, key, _, rows, _ = service
    body = classic_body(rows.head(2))
    target, raw, used_key = f"{url}?api-version=2.0", None, key
    columns = body["Inputs"]["input1"]["ColumnNames"]
    if case == "not json":
        raw = b"{not json"
    elif case == "list body":
        body = [1, 2]
    elif case == "extra key":
        body["Outputs"] = {}
    elif case == "unknown input":
        body["Inputs"]["input2"] = body["Inputs"]["input1"]
    elif case == "missing column":
        i = columns.index("age")
        body["Inputs"]["input1"] = {"ColumnNames": columns[:i] + columns[i + 1:],
                                    "Values": [row[:i] + row[i + 1:] for row in body["Inputs"]["input1"]["Values"]]}
    elif case == "ragged":
        body["Inputs"]["input1"]["Values"][1] = ["39"]
    elif case == "bad number":
        body["Inputs"]["input1"]["Values"][0][columns.index("age")] = "forty"
    elif case == "empty":
        body["Inputs"]["input1"]["Values"] = []
    elif case == "wrong key":
        used_key = "x" * 88
    elif case == "no key":
        used_key = ""
    elif case == "api version":
        target = f"{url}?api-version=1.0"
    elif case == "unknown endpoint":
        target = url.replace("/services/", "/services/0").replace("/execute", "0/execute") + "?api-version=2.0"
    elif case == "too many rows":
        body = classic_body(rows.head(1))
        body["Inputs"]["input1"]["Values"] *= 1001
    got, answer = call(target, used_key, body, raw)
    assert got == status, answer
    assert fragment in answer["error"]["message"], answer
    assert answer["error"]["code"]
