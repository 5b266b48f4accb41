"""The studio API for modules, datasets and experiments (SPEC §2), without the worker."""

import io

import pytest
from rest_framework.test import APIClient

from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.models import Dataset, Experiment

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(api):
    csv = b"age,city,income\n39,Paris,>50K\n25,Lyon,<=50K\n41,,>50K\n"
    response = api.post("/api/datasets/", {"file": io.BytesIO(csv), "name": "People"}, format="multipart")
    assert response.status_code == 201, response.json()
    return response.json()


CLASSIC_NAMES = [
    "Dataset", "Enter Data Manually", "Import Data", "Export Data", "Convert to CSV",
    "Select Columns in Dataset", "Edit Metadata", "Clean Missing Data", "Normalize Data", "Apply Transformation",
    "Split Data", "Partition and Sample", "Join Data", "Add Rows", "Add Columns", "Remove Duplicate Rows",
    "Convert to Indicator Values", "Group Data into Bins", "Clip Values", "Apply Math Operation",
    "Apply SQL Transformation", "Summarize Data", "Filter Based Feature Selection", "Permutation Feature Importance",
    "Two-Class Logistic Regression", "Two-Class Boosted Decision Tree", "Two-Class Decision Forest",
    "Two-Class Support Vector Machine", "Two-Class Neural Network", "Two-Class Averaged Perceptron",
    "Multiclass Logistic Regression", "Multiclass Decision Forest", "Multiclass Boosted Decision Tree",
    "Multiclass Neural Network", "One-vs-All Multiclass", "Linear Regression", "Boosted Decision Tree Regression",
    "Decision Forest Regression", "Neural Network Regression", "Poisson Regression", "Bayesian Linear Regression",
    "K-Means Clustering", "One-Class Support Vector Machine", "PCA-Based Anomaly Detection", "Train Model",
    "Train Clustering Model", "Train Anomaly Detection Model", "Tune Model Hyperparameters", "Cross Validate Model",
    "Score Model", "Assign Data to Clusters", "Evaluate Model", "Execute Python Script", "Web service input",
    "Web service output", "Trained Model", "Transform",
]


def test_module_catalogue_lists_every_classic_module_with_ports_and_schema(api):
    catalogue = {entry["name"]: entry for entry in api.get("/api/modules/").json()}
    missing = [name for name in CLASSIC_NAMES if name not in catalogue]
    assert missing == []
    split = catalogue["Split Data"]
    assert split["id"] == "split-data"
    assert split["category"] == "Data Transformation"
    assert split["inputs"] == [{"name": "dataset", "type": "DataTable", "optional": False, "label": "Dataset"}]
    assert [(port["name"], port["label"]) for port in split["outputs"]] == [("results1", "Results dataset1"),
                                                                           ("results2", "Results dataset2")]
    assert split["caption"][0] == "{fraction_of_rows_in_the_first_output_dataset}"
    fraction = split["parameters"]["properties"]["fraction_of_rows_in_the_first_output_dataset"]
    assert fraction["default"] == 0.5 and fraction["type"] == "number"


def test_upload_a_csv_dataset_infers_kinds_and_shows_a_sample(api, dataset):
    assert dataset["rows"] == 3
    assert [(c["name"], c["kind"]) for c in dataset["columns"]] == [
        ("age", "numeric"), ("city", "string"), ("income", "string")]
    detail = api.get(f"/api/datasets/{dataset['id']}/").json()
    assert detail["sample"]["ColumnNames"] == ["age", "city", "income"]
    assert detail["sample"]["Values"][2] == [41, None, ">50K"]


def test_an_unreadable_upload_is_refused_with_the_reason(api):
    response = api.post("/api/datasets/", {"file": io.BytesIO(b"\xff\xfe\x00bad"), "name": "x"}, format="multipart")
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]


def test_another_workspaces_dataset_is_invisible(api, dataset, outsider):
    other = APIClient()
    other.force_authenticate(outsider.user)
    assert other.get(f"/api/datasets/{dataset['id']}/").status_code == 404
    assert dataset["id"] not in [d["id"] for d in other.get("/api/datasets/").json()]


def test_create_an_experiment_with_a_graph_and_read_its_validation(api, dataset):
    graph = {"nodes": [node("n1", "dataset", dataset=dataset["id"]), node("n2", "split-data", random_seed=42)],
             "edges": [edge("n1", "dataset", "n2", "dataset")]}
    response = api.post("/api/experiments/", {"name": "Income", "graph": graph}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "training" and body["validation"] == [] and body["last_run"] is None
    assert body["graph"]["nodes"][1]["params"] == {"random_seed": 42}


def test_an_unfinished_graph_is_saved_with_its_problems_listed(api):
    graph = {"nodes": [node("n2", "split-data", fraction_of_rows_in_the_first_output_dataset=1.5)], "edges": []}
    body = api.post("/api/experiments/", {"name": "Half", "graph": graph}, format="json").json()
    messages = {(p["node"], p.get("parameter")): p["message"] for p in body["validation"]}
    assert messages[("n2", "fraction_of_rows_in_the_first_output_dataset")] == (
        "The 'Fraction of rows in the first output dataset' parameter of Split Data (node n2) must be a float in "
        "[0, 1]; got 1.5.")
    assert messages[("n2", None)] == "Split Data (node n2) needs its 'dataset' input connected."


def test_a_type_mismatched_edge_is_refused_naming_the_edge(api):
    graph = {"nodes": [node("n1", "two-class-boosted-decision-tree"), node("n2", "split-data")],
             "edges": [edge("n1", "untrained_model", "n2", "dataset")]}
    response = api.post("/api/experiments/", {"name": "Bad", "graph": graph}, format="json")
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["edge"] == "n1.untrained_model -> n2.dataset"
    assert error["message"] == ("Edge n1.untrained_model -> n2.dataset connects a UntrainedModel output to a "
                                "DataTable input; the port types must match.")
    assert not Experiment.objects.exists()


@pytest.mark.parametrize("graph, message", [
    ("nope", "A graph is an object with a list of 'nodes' and a list of 'edges'."),
    ({"nodes": [{"id": "n1"}], "edges": []}, "Node #1 needs a string 'id' and a string 'module'."),
    ({"nodes": [node("n1", "no-such-module")], "edges": []}, "Node n1 uses an unknown module 'no-such-module'."),
    ({"nodes": [node("a", "split-data"), node("b", "split-data")],
      "edges": [edge("a", "results1", "b", "dataset"), edge("b", "results1", "a", "dataset")]},
     "The graph has a cycle"),
])
def test_malformed_graphs_are_refused_with_a_precise_message(api, graph, message):
    response = api.post("/api/experiments/", {"name": "Bad", "graph": graph}, format="json")
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]


def test_an_invalid_experiment_cannot_run_and_says_why(api):
    graph = {"nodes": [node("n2", "split-data")], "edges": []}
    experiment = api.post("/api/experiments/", {"name": "Half", "graph": graph}, format="json").json()
    response = api.post(f"/api/experiments/{experiment['id']}/run/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["node"] == "n2"


def test_a_forest_of_100k_trees_is_refused_before_a_run_starts_naming_node_and_parameter(api, dataset):
    graph = {"nodes": [node("data", "dataset", dataset=dataset["id"]),
                       node("forest", "two-class-decision-forest", number_of_decision_trees=100_000),
                       node("train", "train-model", label_column=["income"])],
             "edges": [edge("forest", "untrained_model", "train", "untrained_model"),
                       edge("data", "dataset", "train", "dataset")]}
    experiment = api.post("/api/experiments/", {"name": "Huge", "graph": graph}, format="json").json()
    response = api.post(f"/api/experiments/{experiment['id']}/run/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [{
        "node": "forest", "parameter": "number_of_decision_trees",
        "message": "The 'Number of decision trees' parameter of Two-Class Decision Forest (node forest) must be an "
                   "integer in [1, 1000]; got 100000."}]
    assert not Experiment.objects.get(pk=experiment["id"]).runs.exists()
    ranged = {**graph["nodes"][1], "params": {"create_trainer_mode": "Parameter Range",
                                              "number_of_decision_trees_range": "8, 100000"}}
    graph["nodes"][1] = ranged
    api.put(f"/api/experiments/{experiment['id']}/", {"name": "Huge", "graph": graph}, format="json")
    problems = api.post(f"/api/experiments/{experiment['id']}/run/", {}, format="json").json()["errors"]
    assert [(p["node"], p["parameter"]) for p in problems] == [("forest", "number_of_decision_trees_range")]
    assert "each an integer in [1, 1000]; got '8, 100000'" in problems[0]["message"]


def label_graph(dataset_id, **train_params):
    return {"nodes": [node("data", "dataset", dataset=dataset_id), node("split", "split-data"),
                      node("learner", "two-class-logistic-regression"), node("train", "train-model", **train_params)],
            "edges": [edge("data", "dataset", "split", "dataset"),
                      edge("learner", "untrained_model", "train", "untrained_model"),
                      edge("split", "results1", "train", "dataset")]}


@pytest.mark.parametrize("label, wrong", [
    (None, "none is selected"), ([], "none is selected"),
    ({"begin_with": "all", "rules": []}, "must select exactly one column; the selection matches 'age', 'city', "
                                         "'income'"),
    ({"begin_with": "none", "rules": [{"action": "include", "by": "type", "types": ["Boolean"]}]},
     "the selection matches no column"),
])
def test_train_model_without_one_label_column_is_flagged_before_run_and_the_run_refused(api, dataset, label, wrong):
    graph = label_graph(dataset["id"], **({} if label is None else {"label_column": label}))
    experiment = api.post("/api/experiments/", {"name": "No label", "graph": graph}, format="json").json()
    [problem] = experiment["validation"]
    assert (problem["node"], problem["parameter"]) == ("train", "label_column")
    assert problem["message"].startswith("The 'Label column' parameter of Train Model (node train) must ")
    assert wrong in problem["message"]
    response = api.post(f"/api/experiments/{experiment['id']}/run/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [problem]
    assert not Experiment.objects.get(pk=experiment["id"]).runs.exists()


def test_an_empty_label_column_is_fine_when_a_column_is_marked_label_upstream(api, dataset):
    graph = label_graph(dataset["id"])
    graph["nodes"].append(node("meta", "edit-metadata", columns=["income"], fields="Label"))
    graph["edges"][0] = edge("data", "dataset", "meta", "dataset")
    graph["edges"].append(edge("meta", "results_dataset", "split", "dataset"))
    assert api.post("/api/experiments/", {"name": "Marked", "graph": graph}, format="json").json()["validation"] == []


def test_column_selection_naming_an_unknown_column_is_reported_on_the_node(api, dataset):
    graph = {"nodes": [node("n1", "dataset", dataset=dataset["id"]),
                       node("n2", "select-columns-in-dataset", columns=["age", "salary"])],
             "edges": [edge("n1", "dataset", "n2", "dataset")]}
    body = api.post("/api/experiments/", {"name": "Cols", "graph": graph}, format="json").json()
    problem = body["validation"][0]
    assert (problem["node"], problem["parameter"], problem["column"]) == ("n2", "columns", "salary")
    assert "Column 'salary' not found" in problem["message"]


def test_join_datas_right_keys_are_checked_against_the_right_dataset(api, dataset):
    right = {"nodes": [node("people", "dataset", dataset=dataset["id"]),
                       node("cities", "enter-data-manually", data="town,country\nParis,FR\n"),
                       node("join", "join-data", join_key_columns_for_l=["city"], join_key_columns_for_r=["town"])],
             "edges": [edge("people", "dataset", "join", "dataset1"), edge("cities", "dataset", "join", "dataset2")]}
    assert api.post("/api/experiments/", {"name": "Join", "graph": right}, format="json").json()["validation"] == []
    right["nodes"][2]["params"]["join_key_columns_for_r"] = ["city"]  # a left column, not in the right dataset
    [problem] = api.post("/api/experiments/", {"name": "Join", "graph": right}, format="json").json()["validation"]
    assert (problem["node"], problem["parameter"], problem["column"]) == ("join", "join_key_columns_for_r", "city")


def test_save_as_copies_the_graph_unlinked(api, dataset):
    graph = {"nodes": [node("n1", "dataset", dataset=dataset["id"])], "edges": []}
    original = api.post("/api/experiments/", {"name": "A", "graph": graph}, format="json").json()
    copy = api.post(f"/api/experiments/{original['id']}/save-as/", {"name": "B"}, format="json")
    assert copy.status_code == 201
    assert copy.json()["graph"] == original["graph"] and copy.json()["name"] == "B"


def test_rename_and_delete(api):
    experiment = api.post("/api/experiments/", {"name": "Old"}, format="json").json()
    assert api.patch(f"/api/experiments/{experiment['id']}/", {"name": "New"}, format="json").json()["name"] == "New"
    assert api.delete(f"/api/experiments/{experiment['id']}/").status_code == 204
    assert not Experiment.objects.exists()


def test_sample_datasets_are_listed_for_everyone(api, owner):
    from experiments.datasets import samples_load

    samples_load()
    names = {d["name"] for d in api.get("/api/datasets/").json() if d["source"] == "sample"}
    assert "Adult Census Income Binary Classification dataset" in names
    assert Dataset.objects.filter(source="sample").count() >= 10


def test_schemas_give_the_columns_reaching_each_node_before_any_run(api, dataset):
    graph = {"nodes": [node("n1", "dataset", dataset=dataset["id"]), node("n2", "split-data"),
                       node("n3", "select-columns-in-dataset", columns=["age", "income"])],
             "edges": [edge("n1", "dataset", "n2", "dataset"), edge("n2", "results1", "n3", "dataset")]}
    experiment = api.post("/api/experiments/", {"name": "Cols", "graph": graph}, format="json").json()
    schemas = api.get(f"/api/experiments/{experiment['id']}/schemas/").json()
    assert [c["name"] for c in schemas["n2"]["results1"]] == ["age", "city", "income"]
    # Before a run, a numeric column may be Integer or Double: the selector's type rules match either.
    assert schemas["n3"]["results_dataset"] == [
        {"name": "age", "kind": "numeric", "role": "feature", "types": ["Numeric", "Integer", "Double"]},
        {"name": "income", "kind": "string", "role": "feature", "types": ["String"]}]


def test_run_history_lists_an_experiments_runs_newest_first(api, owner):
    from experiments.models import Run

    experiment = Experiment.objects.create(workspace=owner.workspace, name="History")
    first = Run.objects.create(experiment=experiment, graph={"nodes": [], "edges": []}, status="finished")
    second = Run.objects.create(experiment=experiment, graph={"nodes": [], "edges": []}, status="failed")
    runs = api.get(f"/api/experiments/{experiment.pk}/runs/").json()
    assert [(r["id"], r["status"]) for r in runs] == [(second.pk, "failed"), (first.pk, "finished")]
