"""Evaluate Model on hand-made scored tables: the task read from the columns, metrics as scikit-learn's."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)

from experiments.modules import evaluate
from experiments.modules.framework.artifacts import Evaluation
from experiments.modules.framework.base import Context, ModuleError
from experiments.modules.framework.datatable import DataTable, Role

TOLERANCE = 1e-12


def evaluation(table: DataTable, compare: DataTable | None = None, ctx: Context | None = None) -> Evaluation:
    inputs: dict[str, Any] = {"scored_dataset": table}
    if compare is not None:
        inputs["scored_dataset_to_compare"] = compare
    cls = evaluate.EvaluateModel
    cleaned, problems = cls.clean_params({})
    assert not problems
    return cls().execute(inputs, cleaned, ctx or Context())["evaluation_results"]


def scored(frame: pd.DataFrame, label: str = "truth") -> DataTable:
    scores = {name: Role.SCORE for name in frame.columns if name.startswith(("Scored", "Assign", "Distances"))}
    return DataTable(frame, {label: Role.LABEL, **scores} if label in frame.columns else scores)


def binary_frame(rows: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    truth = rng.choice(["<=50K", ">50K"], size=rows)
    probability = np.clip(np.where(truth == ">50K", 0.65, 0.35) + rng.normal(scale=0.25, size=rows), 0, 1)
    return pd.DataFrame({"age": rng.integers(18, 80, size=rows), "truth": truth,
                         "Scored Labels": np.where(probability > 0.5, ">50K", "<=50K"),
                         "Scored Probabilities": probability})


def test_binary_metrics_are_scikit_learns_with_the_second_class_positive():
    frame = binary_frame()
    result = evaluation(scored(frame))
    truth, predicted, probability = frame["truth"], frame["Scored Labels"], frame["Scored Probabilities"]
    expected = {
        "Accuracy": accuracy_score(truth, predicted),
        "Precision": precision_score(truth, predicted, pos_label=">50K"),
        "Recall": recall_score(truth, predicted, pos_label=">50K"),
        "F1 Score": f1_score(truth, predicted, pos_label=">50K"),
        "AUC": roc_auc_score(truth == ">50K", probability),
        "Average Log Loss": log_loss(truth == ">50K", probability),
    }
    assert result.task == "binary"
    for name, value in expected.items():
        assert abs(result.metrics[name] - value) < TOLERANCE, name
    positives, called = truth == ">50K", predicted == ">50K"
    assert result.metrics.items() >= {
        "Positive Label": ">50K", "Negative Label": "<=50K", "Threshold": 0.5,
        "True Positive": int((positives & called).sum()), "False Negative": int((positives & ~called).sum()),
        "False Positive": int((~positives & called).sum()), "True Negative": int((~positives & ~called).sum())}.items()
    assert result.confusion_matrix == {"labels": [">50K", "<=50K"], "matrix": [
        [result.metrics["True Positive"], result.metrics["False Negative"]],
        [result.metrics["False Positive"], result.metrics["True Negative"]]]}


def test_binary_curves_are_downsampled_and_keep_their_ends():
    result = evaluation(scored(binary_frame(rows=2000)))
    roc, pr, lift = result.curves["roc"], result.curves["pr"], result.curves["lift"]
    assert 100 < len(roc["fpr"]) <= 200 and len(roc["fpr"]) == len(roc["tpr"])
    assert (roc["fpr"][0], roc["tpr"][0], roc["fpr"][-1], roc["tpr"][-1]) == (0.0, 0.0, 1.0, 1.0)
    assert len(pr["recall"]) == len(pr["precision"]) <= 200 and pr["recall"][-1] == 0.0
    assert lift["fraction_of_population"][-1] == 1.0
    assert lift["true_positives"][-1] == float((binary_frame(rows=2000)["truth"] == ">50K").sum())
    assert np.all(np.diff(roc["fpr"]) >= 0)


def test_numeric_labels_take_one_as_the_positive_class():
    frame = pd.DataFrame({"truth": [0, 1, 1, 0], "Scored Labels": [0, 1, 0, 0],
                          "Scored Probabilities": [0.1, 0.8, 0.4, 0.3]})
    metrics = evaluation(scored(frame)).metrics
    assert (metrics["Positive Label"], metrics["True Positive"], metrics["False Negative"]) == (1, 1, 1)
    assert metrics["AUC"] == 1.0


def test_multiclass_metrics_and_confusion_matrix():
    truth = ["a", "b", "c", "a", "b", "c", "a", "a"]
    predicted = ["a", "b", "b", "a", "c", "c", "b", "a"]
    frame = pd.DataFrame({"truth": truth, **{f'Scored Probabilities for Class "{c}"': 1 / 3 for c in "abc"},
                          "Scored Labels": predicted})
    result = evaluation(scored(frame))
    assert result.task == "multiclass"
    assert result.confusion_matrix == {"labels": ["a", "b", "c"], "matrix": [[3, 1, 0], [0, 1, 1], [0, 1, 1]]}
    # per-class (one against the rest) accuracy: a 7/8, b 5/8, c 6/8
    assert result.metrics["Average accuracy"] == pytest.approx((7 / 8 + 5 / 8 + 6 / 8) / 3, abs=TOLERANCE)
    assert result.metrics["Overall accuracy"] == 5 / 8
    assert result.metrics["Macro-averaged precision"] == pytest.approx(
        precision_score(truth, predicted, average="macro"), abs=TOLERANCE)
    assert result.metrics["Macro-averaged recall"] == pytest.approx((3 / 4 + 1 / 2 + 1 / 2) / 3, abs=TOLERANCE)
    assert result.metrics["Micro-averaged precision"] == result.metrics["Micro-averaged recall"] == 5 / 8


def test_regression_metrics():
    truth, predicted = np.array([3.0, 5.0, 2.5, 7.0]), np.array([2.5, 5.0, 3.0, 8.0])
    result = evaluation(scored(pd.DataFrame({"truth": truth, "Scored Labels": predicted})))
    assert result.task == "regression"
    assert result.metrics == pytest.approx({
        "Mean Absolute Error": mean_absolute_error(truth, predicted),
        "Root Mean Squared Error": root_mean_squared_error(truth, predicted),
        "Relative Absolute Error": 2.0 / np.abs(truth - 4.375).sum(),
        "Relative Squared Error": 1.5 / np.square(truth - 4.375).sum(),
        "Coefficient of Determination": r2_score(truth, predicted)}, abs=TOLERANCE)


def test_clustering_counts_points_and_distances_per_cluster():
    frame = pd.DataFrame({"Assignments": [0, 0, 1], "DistancesToClusterCenter no.0": [1.0, 3.0, 6.0],
                          "DistancesToClusterCenter no.1": [5.0, 7.0, 2.0]})
    result = evaluation(scored(frame))
    assert (result.task, result.metrics) == ("clustering", {"Number of Points": 3,
                                                            "Average Distance to Cluster Center": 2.0})
    assert result.details["clusters"] == [
        {"Cluster": 0, "Number of Points": 2, "Average Distance to Cluster Center": 2.0,
         "Average Distance to Other Center": 6.0, "Maximal Distance to Cluster Center": 3.0},
        {"Cluster": 1, "Number of Points": 1, "Average Distance to Cluster Center": 2.0,
         "Average Distance to Other Center": 6.0, "Maximal Distance to Cluster Center": 2.0}]


def test_a_second_scored_dataset_is_evaluated_for_comparison():
    result = evaluation(scored(binary_frame(seed=1)), compare=scored(binary_frame(seed=2)))
    assert result.compared is not None
    assert result.compared.metrics == evaluation(scored(binary_frame(seed=2))).metrics
    assert result.to_json()["compared"]["task"] == "binary"


def test_rows_without_a_true_value_are_left_out_and_logged():
    frame = binary_frame(rows=20)
    frame.loc[[2, 5], "truth"] = None
    ctx = Context()
    metrics = evaluation(scored(frame), ctx=ctx).metrics
    kept = frame.dropna()
    assert metrics["Accuracy"] == accuracy_score(kept["truth"], kept["Scored Labels"])
    assert ctx.messages == ["2 rows without a true value or a score were left out of the evaluation"]


def test_a_single_class_has_no_auc_but_does_not_fail():
    frame = pd.DataFrame({"truth": ["yes"] * 3, "Scored Labels": ["yes"] * 3, "Scored Probabilities": [0.9] * 3})
    metrics = evaluation(scored(frame)).metrics
    assert (metrics["AUC"], metrics["Accuracy"], metrics["Positive Label"]) == (None, 1.0, "yes")


def test_a_scored_dataset_without_a_label_is_refused():
    frame = binary_frame().drop(columns=["truth"])
    with pytest.raises(ModuleError) as raised:
        evaluation(scored(frame))
    assert str(raised.value) == ("Evaluate Model needs a label column in the scored dataset; mark it with Edit "
                                 "Metadata or keep it from Train Model")


def test_a_dataset_without_scores_is_refused():
    with pytest.raises(ModuleError, match="needs a scored dataset"):
        evaluation(DataTable(pd.DataFrame({"truth": [1, 2]}), {"truth": Role.LABEL}))


def test_more_than_two_values_with_two_class_scores_is_refused():
    frame = pd.DataFrame({"truth": ["a", "b", "c"], "Scored Labels": ["a", "b", "b"],
                          "Scored Probabilities": [0.1, 0.9, 0.8]})
    with pytest.raises(ModuleError, match="hold 3 values; a two-class evaluation needs two"):
        evaluation(scored(frame))


def test_evaluation_round_trips_through_json():
    result = evaluation(scored(binary_frame()))
    assert Evaluation.from_json(result.to_json()).to_json() == result.to_json()


def test_an_empty_scored_dataset_is_refused_with_a_reason():
    with pytest.raises(ModuleError, match="no rows with both a true value and a score"):
        evaluation(scored(binary_frame().iloc[:0]))
