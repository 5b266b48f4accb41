"""Set Up Web Service as pure graph functions: each journey of the issue on a graph fixture, and refusals."""

from __future__ import annotations

import pytest

from experiments.conversion import ConversionError, RunFacts, bind, predictive, require_fresh_run, retraining
from experiments.engine.graph import edge_json as edge
from experiments.engine.graph import node_json as node
from experiments.engine.graph import parse_graph, validate_graph
from tests.experiments.test_runs import income_graph


def income(extra_nodes=(), extra_edges=()):
    """The engine issue's income experiment, with a Normalize Data between cleaning and the split (a second
    fitted transform)."""
    graph = income_graph(1)
    edges = [e for e in graph["edges"] if e["source"] != "clean"]
    return {"nodes": [*graph["nodes"], node("norm", "normalize-data", columns=["age"]), *extra_nodes],
            "edges": [*edges, edge("clean", "cleaned_dataset", "norm", "dataset"),
                      edge("norm", "transformed_dataset", "split", "dataset"), *extra_edges]}


def modules(graph):
    return {n["id"]: n["module"] for n in graph["nodes"]}


def edges(graph):
    return {(e["source"], e["source_port"], e["target"], e["target_port"]) for e in graph["edges"]}


def actions(conversion):
    return {change.node: change.action for change in conversion.summary}


def test_income_becomes_a_predictive_graph_with_frozen_model_and_applied_transforms():
    result = predictive(income())
    assert result.kind == "predictive" and result.train_node == "train"
    assert modules(result.graph) == {
        "data": "dataset", "web-service-input": "web-service-input",
        "clean": "apply-transformation", "clean-transform": "transform",
        "norm": "apply-transformation", "norm-transform": "transform",
        "train": "trained-model", "score": "score-model", "web-service-output": "web-service-output"}
    assert edges(result.graph) == {
        ("data", "dataset", "web-service-input", "dataset"),
        ("web-service-input", "dataset", "clean", "dataset"),
        ("clean-transform", "transformation", "clean", "transformation"),
        ("clean", "transformed_dataset", "norm", "dataset"),
        ("norm-transform", "transformation", "norm", "transformation"),
        ("norm", "transformed_dataset", "score", "dataset"),
        ("train", "trained_model", "score", "trained_model"),
        ("score", "scored_dataset", "web-service-output", "dataset")}
    assert result.artifacts == {"train": ("train", "trained_model"),
                                "clean-transform": ("clean", "cleaning_transformation"),
                                "norm-transform": ("norm", "transformation_function")}
    assert actions(result) == {
        "data": "kept", "clean": "replaced", "norm": "replaced", "split": "removed", "learner": "removed",
        "train": "replaced", "score": "kept", "evaluate": "removed", "clean-transform": "added",
        "norm-transform": "added", "web-service-input": "added", "web-service-output": "added"}
    messages = {change.node: change.message for change in result.summary}
    assert messages["evaluate"] == "Evaluate Model is removed: evaluation only happens in training."
    assert messages["train"] == ("Train Model is replaced, with its learner Two-Class Boosted Decision Tree, by one "
                                 "Trained Model node: the model trained in the run, frozen.")
    assert "training statistics" in messages["clean"]
    # The result is a valid graph once the saved artifacts are bound, and conversion is deterministic.
    bound = bind(result.graph, {"train": 7, "clean-transform": 8, "norm-transform": 9})
    assert validate_graph(parse_graph(bound)) == []
    assert predictive(income()).graph == result.graph


def test_select_columns_after_score_model_in_training_is_kept_before_the_output():
    graph = income([node("pick", "select-columns-in-dataset", columns=["Scored Labels"])],
                   [edge("score", "scored_dataset", "pick", "dataset")])
    result = predictive(graph)
    assert ("pick", "results_dataset", "web-service-output", "dataset") in edges(result.graph)
    assert actions(result)["pick"] == "kept"


def test_a_graph_without_a_learner_becomes_a_data_service():
    graph = {"nodes": [node("data", "enter-data-manually", data="a,b\n1,\n2,y\n"),
                       node("clean", "clean-missing-data", columns=["b"], cleaning_mode="Replace with mode"),
                       node("pick", "select-columns-in-dataset", columns=["b"])],
             "edges": [edge("data", "dataset", "clean", "dataset"),
                       edge("clean", "cleaned_dataset", "pick", "dataset")]}
    result = predictive(graph)
    assert result.kind == "data" and result.train_node is None
    assert edges(result.graph) >= {("data", "dataset", "web-service-input", "dataset"),
                                   ("web-service-input", "dataset", "clean", "dataset"),
                                   ("pick", "results_dataset", "web-service-output", "dataset")}
    assert modules(result.graph)["clean"] == "apply-transformation"


def test_two_trained_models_need_a_choice_and_the_choice_is_honoured():
    graph = income([node("learner2", "two-class-logistic-regression"),
                    node("train2", "train-model", label_column=["income"]), node("score2", "score-model")],
                   [edge("learner2", "untrained_model", "train2", "untrained_model"),
                    edge("split", "results1", "train2", "dataset"),
                    edge("train2", "trained_model", "score2", "trained_model"),
                    edge("split", "results2", "score2", "dataset"),
                    edge("score2", "scored_dataset", "evaluate", "scored_dataset_to_compare")])
    with pytest.raises(ConversionError) as refused:
        predictive(graph)
    assert "trains 2 models (Train Model 1, Train Model 2)" in refused.value.message
    assert [p["node"] for p in refused.value.problems] == ["train", "train2"]
    chosen = predictive(graph, train_node="train2")
    assert chosen.train_node == "train2" and modules(chosen.graph)["train2"] == "trained-model"
    assert "train" not in modules(chosen.graph) and "score" not in modules(chosen.graph)
    with pytest.raises(ConversionError) as refused:
        predictive(graph, train_node="learner")
    assert refused.value.message == ("Node 'learner' does not train a model; choose one of: Train Model 1 "
                                     '(train_node "train"), Train Model 2 (train_node "train2").')


def test_rebuilding_keeps_the_users_nodes_whose_inputs_still_exist():
    first = predictive(income())
    edited = {"nodes": [*first.graph["nodes"], node("pick", "select-columns-in-dataset", columns=["Scored Labels"]),
                        node("stats", "summarize-data")],
              "edges": [e for e in first.graph["edges"] if e["target"] != "web-service-output"]
              + [edge("score", "scored_dataset", "pick", "dataset"),
                 edge("pick", "results_dataset", "web-service-output", "dataset"),
                 edge("norm", "transformed_dataset", "stats", "dataset")]}
    changed = income()
    changed["nodes"] = [n for n in changed["nodes"] if n["id"] != "norm"]
    changed["edges"] = [e for e in changed["edges"] if "norm" not in (e["source"], e["target"])]
    changed["edges"].append(edge("clean", "cleaned_dataset", "split", "dataset"))
    rebuilt = predictive(changed, previous=edited, previous_generated=first.generated)
    assert ("pick", "results_dataset", "web-service-output", "dataset") in edges(rebuilt.graph)
    assert "stats" not in modules(rebuilt.graph)
    summary = {change.node: change for change in rebuilt.summary}
    assert summary["pick"].action == "added"
    assert summary["stats"].action == "removed"
    assert summary["stats"].message == ("Your module Summarize Data was dropped: its input Apply Transformation no "
                                        "longer exists.")


def test_retraining_adds_input_at_the_training_data_and_outputs_for_model_and_evaluation():
    result = retraining(income())
    assert result.kind == "retraining"
    assert edges(result.graph) >= {("data", "dataset", "web-service-input", "dataset"),
                                   ("web-service-input", "dataset", "clean", "dataset"),
                                   ("train", "trained_model", "web-service-output", "dataset"),
                                   ("evaluate", "evaluation_results", "web-service-output-2", "dataset")}
    names = {n["id"]: n["params"].get("name") for n in result.graph["nodes"] if n["module"] == "web-service-output"}
    assert names == {"web-service-output": "output1", "web-service-output-2": "output2"}
    assert validate_graph(parse_graph(result.graph)) == []
    again = retraining(result.graph)
    assert len(again.graph["nodes"]) == len(result.graph["nodes"])


@pytest.mark.parametrize(("graph", "message"), [
    ({"nodes": [], "edges": []}, "The experiment is empty"),
    ({"nodes": [node("data", "dataset", dataset=1), node("learner", "two-class-logistic-regression"),
                node("train", "train-model", label_column=["y"])],
      "edges": [edge("data", "dataset", "train", "dataset"),
                edge("learner", "untrained_model", "train", "untrained_model")]},
     "has no Score Model using it"),
    ({"nodes": [node("a", "select-columns-in-dataset"), node("b", "select-columns-in-dataset")],
      "edges": [edge("a", "results_dataset", "b", "dataset"), edge("b", "results_dataset", "a", "dataset")]},
     "The experiment has a cycle"),
    ({"nodes": [{"id": "x"}], "edges": []}, "The experiment's graph is not valid"),
])
def test_refusals_say_what_to_do(graph, message):
    with pytest.raises(ConversionError, match=message):
        predictive(graph)


def test_set_up_needs_a_finished_run_of_the_current_graph():
    graph = income()
    with pytest.raises(ConversionError, match="Run the experiment first"):
        require_fresh_run(graph, None, {"train"})
    with pytest.raises(ConversionError, match="The last run \\(3\\) is failed"):
        require_fresh_run(graph, RunFacts(3, "failed", graph, frozenset()), set())
    moved = {**graph, "nodes": [{**n, "position": {"x": 5, "y": 5}} for n in graph["nodes"]]}
    require_fresh_run(moved, RunFacts(3, "finished", graph, frozenset({"train"})), {"train"})  # layout is not a change
    changed = {**graph, "nodes": [{**n, "params": {**n["params"], "random_seed": 1}} if n["id"] == "split" else n
                                  for n in graph["nodes"]]}
    with pytest.raises(ConversionError, match="changed after run 3"):
        require_fresh_run(changed, RunFacts(3, "finished", graph, frozenset({"train"})), {"train"})
    with pytest.raises(ConversionError, match="did not finish Train Model;"):
        require_fresh_run(graph, RunFacts(3, "finished", graph, frozenset()), {"train"})
