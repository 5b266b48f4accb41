"""Web service parameters (classic GlobalParameters): exposed in the graph, validated, set per call."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Experiment
from tests.experiments.helpers import run_now
from tests.webservices.test_deploy import deploy, income, setup  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_call_sets_an_exposed_parameter_and_bad_ones_are_refused(api, owner, income, client):  # noqa: F811
    training, _ = income
    predictive = Experiment.objects.get(pk=setup(api, training).json()["experiment"])
    predictive.graph = {**predictive.graph, "web_service_parameters": [
        {"name": "Append inputs", "node": "score", "parameter": "append_score_columns_to_output", "default": True}]}
    predictive.save()
    run_now(owner.workspace, predictive.graph, experiment=predictive)
    endpoint = deploy(api, predictive).json()["endpoint"]
    service = api.get("/api/web-services/").json()[0]
    assert service["parameters"] == [{"name": "Append inputs", "default": True}]
    path = urlsplit(endpoint["ApiLocation"]).path + "/execute?api-version=2.0"
    sample = predictive.web_services.get().current.sample["input1"]

    def call(parameters):
        body = {"Inputs": {"input1": sample}, "GlobalParameters": parameters}
        return client.post(path, data=json.dumps(body), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {endpoint['PrimaryKey']}")

    full = call({}).json()["Results"]["output1"]["value"]["ColumnNames"]
    assert "age" in full and full[-1] == "Scored Probabilities"
    scores_only = call({"Append inputs": False}).json()["Results"]["output1"]["value"]["ColumnNames"]
    assert scores_only == ["Scored Labels", "Scored Probabilities"]
    unknown = call({"Threshold": 0.3})
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == (
        "Unknown global parameter 'Threshold'; this service takes: Append inputs.")
    wrong = call({"Append inputs": "maybe"})
    assert wrong.status_code == 400 and wrong.json()["error"]["message"].startswith("Global parameter 'Append inputs'")
    help_page = client.get(f"/web-services/{service['id']}/endpoints/default/")
    assert help_page.status_code == 302  # the page needs a signed-in member


def test_web_service_parameters_are_validated_with_the_graph(api):
    graph = {"nodes": [node("data", "enter-data-manually", data="a\n1\n"), node("split", "split-data")],
             "edges": [edge("data", "dataset", "split", "dataset")],
             "web_service_parameters": [
                 {"name": "Share", "node": "split", "parameter": "fraction_of_rows_in_the_first_output_dataset",
                  "default": 7},
                 {"name": "Ghost", "node": "nope", "parameter": "x"},
                 {"name": "Typo", "node": "split", "parameter": "fractoin"}]}
    body = api.post("/api/experiments/", {"name": "Params", "graph": graph}, format="json").json()
    messages = [problem["message"] for problem in body["validation"]]
    assert any(m.startswith("The default of web service parameter 'Share'") for m in messages)
    assert "Web service parameter 'Ghost' refers to node 'nope', which is not in the graph." in messages
    assert "Web service parameter 'Typo': Split Data has no parameter 'fractoin'." in messages
    assert body["graph"]["web_service_parameters"][0]["name"] == "Share"
    twice = {**graph, "web_service_parameters": [graph["web_service_parameters"][0]] * 2}
    refused = api.post("/api/experiments/", {"name": "Twice", "graph": twice}, format="json")
    assert refused.status_code == 400 and "named 'Share'" in refused.json()["detail"] + str(refused.json()["errors"])
