"""Set Up Web Service then Deploy through the studio API: the issue's journeys, end to end in the process.

Runs execute synchronously here (run_execute, as the worker does); the canvas journey in tests/e2e drives
the same through the real worker.
"""

from __future__ import annotations

import pandas as pd
import pytest

from experiments.assets import output_save
from experiments.datasets import dataset_table, samples_load
from experiments.engine import store
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Asset, CacheEntry, Dataset, Experiment
from tests.experiments.helpers import run_now
from tests.experiments.test_runs import income_graph
from webservices.models import Endpoint, WebService
from webservices.services import key_hash

pytestmark = pytest.mark.django_db(transaction=True)
ADULT = "Adult Census Income Binary Classification dataset"


def output_frame(run, node_id, port):
    key = run.node_runs.get(node_id=node_id).cache_key
    return store.load_output(CacheEntry.objects.get(pk=key).outputs[port]).frame


def setup(api, experiment, **body):
    return api.post(f"/api/experiments/{experiment.pk}/setup-web-service/", {"kind": "predictive", **body},
                    format="json")


def use_sample(experiment, dataset):
    """Point the predictive experiment's sample data (the Dataset before Web service input) at `dataset`."""
    experiment.graph = {**experiment.graph, "nodes": [
        {**n, "params": {"dataset": dataset.pk}} if n["module"] == "dataset" else n for n in experiment.graph["nodes"]]}
    experiment.save()


def select_before_output(experiment, columns):
    """What a user does in the predictive experiment: Select Columns between Score Model and the output."""
    out = next(e for e in experiment.graph["edges"] if e["target"] == "web-service-output")
    pick = node("pick", "select-columns-in-dataset", columns=columns)
    experiment.graph = {"nodes": [*experiment.graph["nodes"], pick],
                        "edges": [e for e in experiment.graph["edges"] if e is not out]
                        + [edge("score", "scored_dataset", "pick", "dataset"),
                           edge("pick", "results_dataset", "web-service-output", "dataset")]}
    experiment.save()


def deploy(api, experiment, **body):
    return api.post(f"/api/experiments/{experiment.pk}/deploy/", body, format="json")


def publish(api, owner, training):
    """Set Up the predictive experiment, run it and Deploy: (predictive experiment, its run, deploy answer)."""
    predictive = Experiment.objects.get(pk=setup(api, training).json()["experiment"])
    run = run_now(owner.workspace, predictive.graph, experiment=predictive)
    return predictive, run, deploy(api, predictive).json()


@pytest.fixture
def income(owner):
    samples_load([ADULT])
    adult = Dataset.objects.get(name=ADULT)
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Income prediction",
                                           graph=income_graph(adult.pk))
    run = run_now(owner.workspace, experiment.graph, experiment=experiment)
    return experiment, run


def test_income_set_up_run_and_deploy_scores_the_held_out_rows_exactly_as_training_did(api, owner, income):
    training, training_run = income
    response = setup(api, training)
    assert response.status_code == 200, response.json()
    body = response.json()
    predictive = Experiment.objects.get(pk=body["experiment"])
    assert predictive.kind == "predictive" and predictive.training_experiment_id == training.pk
    assert predictive.name == "Income prediction [predictive exp.]"
    modules = {n["module"] for n in predictive.graph["nodes"]}
    assert {"trained-model", "apply-transformation", "web-service-input", "web-service-output"} <= modules
    assert not modules & {"split-data", "evaluate-model", "two-class-boosted-decision-tree", "train-model",
                          "clean-missing-data"}
    actions = {(c["node"], c["action"]) for c in body["summary"]}
    assert {("train", "replaced"), ("clean", "replaced"), ("split", "removed"), ("evaluate", "removed"),
            ("learner", "removed"), ("score", "kept")} <= actions
    assert api.get(f"/api/experiments/{training.pk}/").json()["predictive_experiment"] == predictive.pk
    model = Asset.objects.get(kind="trained_model")
    assert model.name == "Income prediction [trained model]" and model.source_run_id == training_run.pk

    # Score the held-out split through the predictive experiment: the same rows, the same scores.
    held_out = output_save(run=training_run, node="split", port="results2", name="held out")
    use_sample(predictive, held_out)
    predictive_run = run_now(owner.workspace, predictive.graph, experiment=predictive)
    expected = output_frame(training_run, "score", "scored_dataset")
    scored = output_frame(predictive_run, "score", "scored_dataset")
    assert len(scored) == len(expected) == len(dataset_table(held_out).frame)
    pd.testing.assert_frame_equal(scored.reset_index(drop=True), expected.reset_index(drop=True))

    response = deploy(api, predictive)
    assert response.status_code == 201, response.json()
    endpoint = response.json()["endpoint"]
    assert endpoint["Name"] == "default" and len(endpoint["Id"]) == 32
    assert len(endpoint["PrimaryKey"]) == 88 and endpoint["PrimaryKey"] != endpoint["SecondaryKey"]
    assert endpoint["ApiLocation"].endswith(f"/workspaces/{owner.workspace.pk}/services/{endpoint['Id']}")
    assert endpoint["BatchLocation"] == endpoint["ApiLocation"] + "/jobs"
    stored = Endpoint.objects.get(endpoint_id=endpoint["Id"])
    assert stored.primary_key_hash == key_hash(endpoint["PrimaryKey"]) and endpoint["PrimaryKey"] not in str(
        stored.__dict__)
    service = api.get(f"/api/web-services/{response.json()['web_service']}/").json()
    assert service["name"] == "Income prediction [predictive exp.]" and service["kind"] == "predictive"
    assert service["resources"] == [{"Name": "Income prediction [trained model]", "Kind": "TrainedModel"},
                                    {"Name": "Income prediction [Clean Missing Data transform]", "Kind": "Transform"}]
    columns = {c["name"]: c for c in service["input_schema"]["input1"]}
    assert columns["income"]["optional"] is True and columns["age"] == {"name": "age", "kind": "numeric",
                                                                          "integer": True, "optional": False}
    assert service["output_schema"]["output1"][-2:] == [{"name": "Scored Labels", "kind": "categorical"},
                                                        {"name": "Scored Probabilities", "kind": "numeric"}] or \
        [c["name"] for c in service["output_schema"]["output1"]][-2:] == ["Scored Labels", "Scored Probabilities"]
    assert [e["Name"] for e in service["endpoints"]] == ["default"]
    # members read the keys again (issue 17: sealed copies), as classic clients read them from the endpoint list
    assert service["endpoints"][0]["PrimaryKey"] == endpoint["PrimaryKey"]
    assert service["endpoints"][0]["KeyHint"].endswith("…")

    # Journey 2: edit, run, deploy again: the same service, a new version, the same keys.
    select_before_output(predictive, ["Scored Labels", "Scored Probabilities"])
    assert deploy(api, predictive).json()["detail"].startswith("The experiment changed after run")
    run_now(owner.workspace, predictive.graph, experiment=predictive)
    again = deploy(api, predictive)
    assert again.status_code == 200 and again.json()["web_service"] == service["id"]
    assert again.json()["endpoint"]["PrimaryKey"] == endpoint["PrimaryKey"] and again.json()["version"] == 2
    assert WebService.objects.count() == 1
    stored.refresh_from_db()
    assert stored.primary_key_hash == key_hash(endpoint["PrimaryKey"]) and stored.version == 2
    assert [c["name"] for c in api.get(f"/api/web-services/{service['id']}/").json()["output_schema"]["output1"]] == [
        "Scored Labels", "Scored Probabilities"]


def test_set_up_again_rebuilds_in_place_until_deployed_then_makes_a_new_one(api, owner, income):
    training, _ = income
    first = setup(api, training).json()["experiment"]
    assert setup(api, training).json()["experiment"] == first  # undeployed: rebuilt in place
    assert Experiment.objects.filter(kind="predictive").count() == 1
    assert Asset.objects.count() == 2  # the same run's artifacts are not saved twice

    predictive = Experiment.objects.get(pk=first)
    run_now(owner.workspace, predictive.graph, experiment=predictive)
    service = deploy(api, predictive).json()["web_service"]
    deployed_graph = Experiment.objects.get(pk=first).graph

    training.graph = {**training.graph, "nodes": [
        {**n, "params": {**n["params"], "maximum_number_of_leaves_per_tree": 8}} if n["id"] == "learner" else n
        for n in training.graph["nodes"]]}
    training.save()
    assert setup(api, training).json()["detail"].startswith("The experiment changed after run")
    run_now(owner.workspace, training.graph, experiment=training)
    second = setup(api, training).json()["experiment"]
    assert second != first
    assert api.get(f"/api/experiments/{training.pk}/").json()["predictive_experiment"] == second
    assert Experiment.objects.get(pk=first).graph == deployed_graph  # the live service's experiment untouched
    predictive2 = Experiment.objects.get(pk=second)
    run_now(owner.workspace, predictive2.graph, experiment=predictive2)
    response = deploy(api, predictive2)
    assert response.status_code == 201 and response.json()["web_service"] != service


def test_save_as_copy_sets_up_and_deploys_separately(api, owner, income):
    training, _ = income
    original = setup(api, training).json()["experiment"]
    copy = Experiment.objects.get(pk=api.post(f"/api/experiments/{training.pk}/save-as/", {"name": "Copy"},
                                              format="json").json()["id"])
    assert api.get(f"/api/experiments/{copy.pk}/").json()["predictive_experiment"] is None
    run_now(owner.workspace, copy.graph, experiment=copy)
    made = setup(api, copy).json()["experiment"]
    assert made != original and Experiment.objects.get(pk=made).training_experiment_id == copy.pk
    assert Experiment.objects.get(pk=original).training_experiment_id == training.pk


def test_retraining_set_up_adds_outputs_and_deploys_as_a_retraining_service(api, owner, income):
    training, _ = income
    response = api.post(f"/api/experiments/{training.pk}/setup-web-service/", {"kind": "retraining"}, format="json")
    assert response.status_code == 200 and response.json()["experiment"] == training.pk
    training.refresh_from_db()
    outputs = [e for e in training.graph["edges"] if e["target"].startswith("web-service-output")]
    assert {(e["source"], e["source_port"]) for e in outputs} == {("train", "trained_model"),
                                                                 ("evaluate", "evaluation_results")}
    run_now(owner.workspace, training.graph, experiment=training)
    deployed = deploy(api, training)
    assert deployed.status_code == 201
    service = api.get(f"/api/web-services/{deployed.json()['web_service']}/").json()
    assert service["kind"] == "retraining" and set(service["output_schema"]) == {"output1", "output2"}
    assert "AUC" in {c["name"] for c in service["output_schema"]["output2"]}


def test_a_graph_without_a_learner_deploys_as_a_data_service(api, owner):
    graph = {"nodes": [node("data", "enter-data-manually", data="a,b\n1,\n2,y\n3,y\n"),
                       node("clean", "clean-missing-data", columns=["b"], cleaning_mode="Replace with mode"),
                       node("pick", "select-columns-in-dataset", columns=["b"])],
             "edges": [edge("data", "dataset", "clean", "dataset"),
                       edge("clean", "cleaned_dataset", "pick", "dataset")]}
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Tidy", graph=graph)
    run_now(owner.workspace, graph, experiment=experiment)
    made = Experiment.objects.get(pk=setup(api, experiment).json()["experiment"])
    run = run_now(owner.workspace, made.graph, experiment=made)
    assert output_frame(run, "pick", "results_dataset")["b"].tolist() == ["y", "y", "y"]
    service = api.get(f"/api/web-services/{deploy(api, made).json()['web_service']}/").json()
    assert service["kind"] == "data" and service["output_schema"]["output1"] == [{"name": "b", "kind": "string"}]


def test_several_learners_ask_which_model_and_the_api_takes_the_node(api, owner):
    rows = "x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(30))
    graph = {"nodes": [node("data", "enter-data-manually", data=rows),
                       node("l1", "two-class-logistic-regression"), node("l2", "two-class-decision-forest"),
                       node("t1", "train-model", label_column=["y"]), node("t2", "train-model", label_column=["y"]),
                       node("s1", "score-model"), node("s2", "score-model")],
             "edges": [edge("l1", "untrained_model", "t1", "untrained_model"),
                       edge("l2", "untrained_model", "t2", "untrained_model"),
                       edge("data", "dataset", "t1", "dataset"), edge("data", "dataset", "t2", "dataset"),
                       edge("t1", "trained_model", "s1", "trained_model"), edge("data", "dataset", "s1", "dataset"),
                       edge("t2", "trained_model", "s2", "trained_model"), edge("data", "dataset", "s2", "dataset")]}
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Two", graph=graph)
    run_now(owner.workspace, graph, experiment=experiment)
    refused = setup(api, experiment)
    assert refused.status_code == 400
    assert refused.json()["detail"].startswith("The experiment trains 2 models")
    assert [e["node"] for e in refused.json()["errors"]] == ["t1", "t2"]
    chosen = setup(api, experiment, train_node="t2").json()
    graph = Experiment.objects.get(pk=chosen["experiment"]).graph
    assert {n["id"] for n in graph["nodes"] if n["module"] == "trained-model"} == {"t2"}


def test_set_up_and_deploy_refuse_with_a_message(api, owner, outsider_api):
    experiment = Experiment.objects.create(workspace=owner.workspace, name="Fresh", graph={"nodes": [
        node("data", "enter-data-manually", data="a\n1\n")], "edges": []})
    assert setup(api, experiment).json()["detail"] == (
        "Run the experiment first: Set Up Web Service uses the outputs of a finished run.")
    assert deploy(api, experiment).json()["detail"].startswith("The experiment has no Web service input and output")
    assert setup(outsider_api, experiment).status_code == 404
    assert deploy(outsider_api, experiment).status_code == 404
    assert api.post(f"/api/experiments/{experiment.pk}/setup-web-service/", {"kind": "batch"},
                    format="json").status_code == 400


def test_scoring_needs_no_label_column_and_ignores_unknown_columns(api, owner, income):
    from experiments.datasets import dataset_store
    from experiments.modules.framework.datatable import DataTable

    training, training_run = income
    predictive = Experiment.objects.get(pk=setup(api, training).json()["experiment"])
    held_out = dataset_table(output_save(run=training_run, node="split", port="results2", name="held out"))
    frame = held_out.frame.drop(columns=["income"]).head(50).assign(comment="not a feature")
    unlabeled = dataset_store(table=DataTable(frame), name="no label", workspace=owner.workspace, source="upload")
    use_sample(predictive, unlabeled)
    run = run_now(owner.workspace, predictive.graph, experiment=predictive)
    scored = output_frame(run, "score", "scored_dataset")
    expected = output_frame(training_run, "score", "scored_dataset").head(50)
    assert "income" not in scored.columns and scored["comment"].eq("not a feature").all()
    assert scored["Scored Probabilities"].tolist() == expected["Scored Probabilities"].tolist()


def test_the_definition_exports_and_an_edited_one_updates_the_service(api, owner, income):
    training, _ = income
    predictive = Experiment.objects.get(pk=setup(api, training).json()["experiment"])
    select_before_output(predictive, ["age", "Scored Labels", "Scored Probabilities"])
    run_now(owner.workspace, predictive.graph, experiment=predictive)
    service_id = deploy(api, predictive).json()["web_service"]
    url = f"/api/web-services/{service_id}/definition/"
    definition = api.get(url).json()
    props = definition["properties"]
    assert definition["type"] == "Microsoft.MachineLearning/webServices" and props["packageType"] == "Graph"
    assert props["package"]["nodes"]["web-service-input"] == {"inputId": "input1"}
    assert props["package"]["nodes"]["web-service-output"] == {"outputId": "output1"}
    model = props["assets"][props["package"]["nodes"]["train"]["assetId"]]
    assert model["name"] == "Income prediction [trained model]" and model["type"] == "Resource"
    assert "income" not in props["input"]["properties"]["input1"]["items"]["required"]
    assert props["output"]["properties"]["output1"]["items"]["properties"]["age"] == {"type": "integer",
                                                                                      "format": "int32"}

    props["title"] = "Income scoring"
    props["realtimeConfiguration"]["maxConcurrentCalls"] = 5
    props["package"]["nodes"]["pick"]["parameters"]["columns"] = ["Scored Labels"]
    updated = api.put(url, definition, format="json")
    assert updated.status_code == 200, updated.json()
    service = api.get(f"/api/web-services/{service_id}/").json()
    assert service["name"] == "Income scoring" and service["version"] == 2
    assert [c["name"] for c in service["output_schema"]["output1"]] == ["Scored Labels"]
    assert service["endpoints"][0]["MaxConcurrentCalls"] == 5

    for path, value, message in [
        (("realtimeConfiguration", "maxConcurrentCalls"), 500, "from 1 to 200"),
        (("package", "nodes", "pick", "parameters", "columns"), ["nope"], "'nope'"),
        (("package", "nodes", "train", "parameters", "trained_model"), 99999, "can't be changed here"),
        (("package", "nodes", "extra"), {"assetId": "x"}, "unknown node extra"),
    ]:
        edited = api.get(url).json()
        target = edited["properties"]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        response = api.put(url, edited, format="json")
        assert response.status_code == 400 and message in response.json()["detail"], (path, response.json())
    assert api.put(url, [], format="json").json()["detail"] == "'definition' must be a JSON object."
    assert api.get(f"/api/web-services/{service_id}/").json()["version"] == 2


def test_a_saved_model_in_use_is_not_deleted_and_its_users_are_named(api, owner, income):
    from django.core.files.storage import default_storage

    training, _ = income
    predictive = Experiment.objects.get(pk=setup(api, training).json()["experiment"])
    run_now(owner.workspace, predictive.graph, experiment=predictive)
    deploy(api, predictive)
    model = Asset.objects.get(kind="trained_model")
    refused = api.delete(f"/api/assets/{model.pk}/")
    assert refused.status_code == 409
    assert "web service 'Income prediction" in refused.json()["detail"]
    assert f"experiment '{predictive.name}'" in refused.json()["detail"]
    assert Asset.objects.filter(pk=model.pk).exists() and default_storage.exists(model.path)
