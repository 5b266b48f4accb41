"""Conformance, request-response half: the calls the public classic clients make, byte for byte as their source
makes them (read with the search tool; nothing of theirs is imported or copied), against the real server.

- The R AzureML package (RevolutionAnalytics/AzureML, R/services.R, R/consume.R): `endpoints()` lists a service's
  endpoints and appends `/execute?api-version=2.0&details=true&format=swagger` to each `ApiLocation`; `consume()`
  posts a data frame as row objects (jsonlite leaves NA cells out of a row), then reads
  `{HelpLocation}/apidocument` with no credentials and coerces the `output1` columns whose
  `definitions.output1Item` property is of type "number" (by position) with as.numeric.
- The azureml / azmlclient Python package (smarie/python-azureml-client, azmlclient/base.py): `execute_rr` posts to
  `{ApiLocation}/execute?api-version=2.0&details=true` (`&format=swagger` when asked), reads each output as
  {"type": "table", "value": {ColumnNames, Values}} through a CSV into pandas (so "39" is an integer, "39.0" a
  float), or a list of row objects in swagger format; a failed call must carry error.code, .message and .details.
"""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import urlsplit

import httpx
import pandas as pd
import pytest

from experiments.assets import output_save
from experiments.datasets import dataset_table
from studio.workspace_tokens import workspace_token_regenerate
from tests.webservices.test_deploy import income, output_frame, publish  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)
R_HELP_URL = re.compile(r".*?/workspaces/([A-Za-z0-9]*)/webservices/([A-Za-z0-9]*)/endpoints/([A-Za-z0-9]*)/*.*$")


@pytest.fixture
def deployed(api, owner, income, studio_server):  # noqa: F811
    training, training_run = income
    answer = publish(api, owner, training)[2]["endpoint"]
    rows = dataset_table(output_save(run=training_run, node="split", port="results2", name="held out")).frame
    expected = output_frame(training_run, "score", "scored_dataset")
    ws, service = urlsplit(answer["HelpLocation"]).path.split("/workspaces/")[1].split("/")[0:3:2]
    complete = rows.notna().all(axis=1).to_numpy()  # no NaN: neither client can put one in JSON
    return (studio_server.url, ws, service, answer, rows[complete].head(6).drop(columns=["income"]),
            expected[complete].head(6))


def r_endpoints(base, ws, service, credential):
    """What `endpoints(ws, service)` does: list, then make each ApiLocation the swagger RRS URL."""
    listed = httpx.get(f"{base}/workspaces/{ws}/webservices/{service}/endpoints", timeout=30, headers={
        "User-Agent": "R", "Content-Type": "application/json;charset=UTF8", "Accept": "application/json",
        "Authorization": f"Bearer {credential}"})
    assert listed.status_code == 200, listed.text
    return [{**e, "ApiLocation": e["ApiLocation"] + "/execute?api-version=2.0&details=true&format=swagger"}
            for e in listed.json()]


def test_the_r_package_lists_consumes_and_types_the_output_from_the_api_document(deployed, owner):
    base, ws, service, answer, rows, expected = deployed
    # The workspace authorization token is the R package's credential: with it the list carries each endpoint's
    # ApiLocation and PrimaryKey, which consume() then uses, as workspace() + services() + endpoints() do.
    token = workspace_token_regenerate(workspace=owner.workspace, which="primary")
    endpoint = next(e for e in r_endpoints(base, ws, service, token) if e["Name"] == "default")
    key = endpoint["PrimaryKey"]
    assert key == answer["PrimaryKey"]
    frame = [{k: v for k, v in row.items() if v == v} for row in json.loads(rows.to_json(orient="records"))]
    frame[1].pop("age")  # jsonlite leaves an NA cell out of its row object
    posted = httpx.post(endpoint["ApiLocation"], timeout=30, content=json.dumps(
        {"Inputs": {"input1": frame}, "GlobalParameters": {}}).encode(),
        headers={"User-Agent": "R", "Content-Type": "application/json", "Authorization": f"Bearer {key}"})
    assert posted.status_code == 200, posted.text
    output = posted.json()["Results"]["output1"]

    document = httpx.get(endpoint["HelpLocation"] + "/apidocument", timeout=30)  # no credentials, as endpointHelp
    assert document.status_code == 200, document.text
    item = document.json()["definitions"]["output1Item"]["properties"]
    assert list(item) == list(output[0])  # consume() coerces by position: the columns must line up
    numbers = [i for i, spec in enumerate(item.values()) if spec["type"] == "number"]
    columns = list(output[0])
    assert columns[numbers[-1]] == "Scored Probabilities"
    for row in output:
        for i in numbers:
            assert row[columns[i]] is None or isinstance(row[columns[i]], float)
    assert item["age"]["type"] == "integer" and [row["age"] for row in output][:1] == [rows["age"].iloc[0]]
    assert list(output[1]) == columns  # the row sent without 'age' answers every column all the same
    assert [row["Scored Labels"] for row in output][2:] == expected["Scored Labels"].tolist()[2:]
    assert R_HELP_URL.match(endpoint["HelpLocation"]).groups() == (ws, service, urlsplit(answer["ApiLocation"])
                                                                    .path.rsplit("/", 1)[1])


def azmlclient_frame(table):
    """How azmlclient turns a classic output table into a DataFrame: through a CSV, letting pandas infer types."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(table["ColumnNames"])
    writer.writerows(table["Values"])
    return pd.read_csv(io.StringIO(buffer.getvalue()), sep=",", decimal=".")


def test_the_azmlclient_package_calls_in_both_formats_and_reads_integers_as_integers(deployed):
    base, _, _, answer, rows, expected = deployed
    url = base + urlsplit(answer["ApiLocation"]).path + "/execute?api-version=2.0&details=true"
    headers = {"Authorization": "Bearer " + answer["PrimaryKey"], "Content-Type": "application/json; charset=utf-8"}
    classic = {"Inputs": {"input1": {"ColumnNames": list(rows.columns), "Values": rows.values.tolist()}},
               "GlobalParameters": {}}
    answered = httpx.post(url, content=json.dumps(classic).encode(), headers=headers, timeout=30)
    assert answered.status_code == 200, answered.text
    output = answered.json()["Results"]["output1"]
    assert output["type"] == "table"
    frame = azmlclient_frame(output["value"])
    assert str(frame["age"].dtype) == "int64" and frame["age"].tolist() == rows["age"].tolist()
    assert str(frame["Scored Probabilities"].dtype) == "float64"
    assert frame["Scored Labels"].tolist() == expected["Scored Labels"].tolist()

    swagger = {"Inputs": {"input1": json.loads(rows.to_json(orient="records"))}, "GlobalParameters": {}}
    answered = httpx.post(url + "&format=swagger", content=json.dumps(swagger).encode(), headers=headers, timeout=30)
    assert answered.status_code == 200, answered.text
    table = pd.DataFrame(answered.json()["Results"]["output1"])
    assert str(table["age"].dtype) == "int64" and str(table["fnlwgt"].dtype) == "int64"
    assert table["Scored Labels"].tolist() == expected["Scored Labels"].tolist()

    swagger["Inputs"]["input1"][0]["age"] = "forty"
    failed = httpx.post(url + "&format=swagger", content=json.dumps(swagger).encode(), headers=headers, timeout=30)
    assert failed.status_code == 400
    error = failed.json()["error"]  # AzmlException reads these three and the first detail's code and message
    assert (error["code"], error["details"][0]["code"]) == ("BadUserArgument", "InputParseError")
    assert "Column 'age', row 1" in error["message"] and error["details"][0]["message"] == error["message"]
