"""Machine Learning / Evaluate: the classic Evaluate Model, with scikit-learn's metric functions.

The kind of model is read from the score columns Score Model writes: `Assignments` (clustering),
`Scored Probabilities for Class "<c>"` (multiclass), `Scored Labels` with `Scored Probabilities`
(two-class, and anomaly detection), `Scored Labels` alone (regression). The true values are the column
marked Label. A two-class evaluation takes the second of the two values in sorted order as the positive
class, as Score Model does, and counts at the 0.5 threshold, i.e. from `Scored Labels`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_curve, roc_curve

from .framework.artifacts import Evaluation
from .framework.base import Context, Module, ModuleError, ServiceRole, table_input
from .framework.code_forms import CodeForm, CodeNode, NoCodeForm, helper_source
from .framework.datatable import DataTable
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry
from .metrics import METRIC_FUNCTIONS, binary_metrics, metric_number, multiclass_metrics, regression_metrics
from .training import (
    ASSIGNMENTS,
    SCORED_LABELS,
    SCORED_PROBABILITIES,
    class_probability_column,
    distance_column,
    label_values,
)

MAX_CURVE_POINTS = 200
CLASS_PREFIX = class_probability_column("")[:-1]
NO_LABEL = ("Evaluate Model needs a label column in the scored dataset; mark it with Edit Metadata or keep it "
            "from Train Model")


def scored_task(columns: list[str]) -> str:
    if ASSIGNMENTS in columns:
        return "clustering"
    if any(name.startswith(CLASS_PREFIX) for name in columns):
        return "multiclass"
    if SCORED_LABELS in columns:
        return "binary" if SCORED_PROBABILITIES in columns else "regression"
    raise ModuleError("Evaluate Model needs a scored dataset (from Score Model): no 'Scored Labels' column found")


def thin(*curves: np.ndarray) -> list[list[float]]:
    """Paired curve arrays cut to at most MAX_CURVE_POINTS evenly spaced points, keeping both ends."""
    picks = np.unique(np.linspace(0, len(curves[0]) - 1, min(len(curves[0]), MAX_CURVE_POINTS)).round().astype(int))
    return [[float(value) for value in np.asarray(curve)[picks]] for curve in curves]


def binary_curves(actual: np.ndarray, probability: np.ndarray) -> dict[str, Any]:
    order = np.argsort(-probability, kind="stable")
    fraction, hits = np.arange(1, len(actual) + 1) / max(len(actual), 1), np.cumsum(actual[order])
    curves: dict[str, Any] = {}
    if len(np.unique(actual)) == 2:
        fpr, tpr, thresholds = roc_curve(actual, probability)
        precision, recall, _ = precision_recall_curve(actual, probability)
        # Thresholds (the first is +inf: nothing predicted positive) let the canvas recompute the counts
        # at any threshold: TP = tpr * positives, FP = fpr * negatives.
        thresholds = np.minimum(thresholds, 1.0)
        curves["roc"] = dict(zip(("fpr", "tpr", "threshold"), thin(fpr, tpr, thresholds), strict=True))
        curves["positives"], curves["negatives"] = int(actual.sum()), int(len(actual) - actual.sum())
        curves["pr"] = dict(zip(("recall", "precision"), thin(recall, precision), strict=True))
    if len(actual):
        curves["lift"] = dict(zip(("fraction_of_population", "true_positives"), thin(fraction, hits), strict=True))
    return curves


def comparable(truth: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True and scored labels of one type: numbers when both are numbers, else text."""
    if truth.dtype.kind in "biuf" and predicted.dtype.kind in "biuf":
        return truth, predicted
    return truth.astype(str), predicted.astype(str)


def binary_classes(truth: np.ndarray, predicted: np.ndarray, label: str) -> tuple[Any, Any]:
    values = sorted(set(truth.tolist()) | set(predicted.tolist()))
    if len(values) > 2:
        raise ModuleError(f"The label column '{label}' and the scored labels hold {len(values)} values; a two-class "
                          "evaluation needs two", column=label)
    return (values[0], values[1]) if len(values) == 2 else (None, values[0])


class ScoredRows:
    """The rows of a scored table that have a true value and a score, as arrays."""

    def __init__(self, table: DataTable, needed: list[str], ctx: Context) -> None:
        label = table.label_column()
        if label is None:
            raise ModuleError(NO_LABEL)
        complete = table.frame[[label, *needed]].notna().all(axis=1)
        if skipped := int((~complete).sum()):
            ctx.log(f"{skipped} rows without a true value or a score were left out of the evaluation")
        if not complete.any():
            raise ModuleError("The scored dataset has no rows with both a true value and a score to evaluate")
        self.label, self.frame = label, table.frame.loc[complete]
        self.truth = label_values(self.frame[label])
        self.predicted = label_values(self.frame[SCORED_LABELS])


def evaluate_binary(table: DataTable, ctx: Context) -> Evaluation:
    rows = ScoredRows(table, [SCORED_LABELS, SCORED_PROBABILITIES], ctx)
    truth, predicted = comparable(rows.truth, rows.predicted)
    negative, positive = binary_classes(truth, predicted, rows.label)
    probability = rows.frame[SCORED_PROBABILITIES].to_numpy(dtype=float)
    metrics = binary_metrics(truth, predicted, probability, negative, positive)
    matrix = [[metrics["True Positive"], metrics["False Negative"]],
              [metrics["False Positive"], metrics["True Negative"]]]
    return Evaluation(task="binary", metrics=metrics, curves=binary_curves(truth == positive, probability),
                      confusion_matrix={"labels": [positive, negative], "matrix": matrix},
                      details={"label": rows.label, "rows": len(truth)})


def evaluate_multiclass(table: DataTable, ctx: Context) -> Evaluation:
    rows = ScoredRows(table, [SCORED_LABELS], ctx)
    truth, predicted = comparable(rows.truth, rows.predicted)
    labels = sorted(set(truth.tolist()) | set(predicted.tolist()))
    matrix = confusion_matrix(truth, predicted, labels=labels).tolist()
    return Evaluation(task="multiclass", metrics=multiclass_metrics(truth, predicted, labels),
                      confusion_matrix={"labels": labels, "matrix": matrix},
                      details={"label": rows.label, "rows": len(truth)})


def evaluate_regression(table: DataTable, ctx: Context) -> Evaluation:
    rows = ScoredRows(table, [SCORED_LABELS], ctx)
    if rows.truth.dtype.kind not in "biuf":
        raise ModuleError(f"The label column '{rows.label}' is not numeric, but the scores are a regression's",
                          column=rows.label)
    metrics = regression_metrics(rows.truth.astype(float), rows.predicted.astype(float))
    return Evaluation(task="regression", metrics=metrics, details={"label": rows.label, "rows": len(rows.truth)})


def evaluate_clustering(table: DataTable) -> Evaluation:
    """Points per cluster and their distances to the centres, from Assignments and the distance columns."""
    frame = table.frame.dropna(subset=[ASSIGNMENTS])
    assigned = frame[ASSIGNMENTS].to_numpy(dtype=np.int64)
    count = sum(1 for name in table.columns if name.startswith(distance_column(0)[:-1]))
    distances = frame[[distance_column(i) for i in range(count)]].to_numpy(dtype=float)
    if count and (assigned.min(initial=0) < 0 or assigned.max(initial=0) >= count):
        raise ModuleError("Assignments refer to clusters that have no distance column")
    own = distances[np.arange(len(assigned)), assigned] if count else np.zeros(len(assigned))
    clusters = [cluster_details(k, assigned == k, distances, own) for k in sorted(set(assigned.tolist()))]
    metrics: dict[str, Any] = {"Number of Points": len(assigned),
               "Average Distance to Cluster Center": float(own.mean()) if len(own) and count else None}
    return Evaluation(task="clustering", metrics=metrics, details={"clusters": clusters})


def cluster_details(cluster: int, members: np.ndarray, distances: np.ndarray, own: np.ndarray) -> dict[str, Any]:
    others = np.delete(distances[members], cluster, axis=1) if distances.shape[1] > 1 else np.zeros((0, 0))
    return {"Cluster": cluster, "Number of Points": int(members.sum()),
            "Average Distance to Cluster Center": float(own[members].mean()),
            "Average Distance to Other Center": float(others.mean()) if others.size else None,
            "Maximal Distance to Cluster Center": float(own[members].max())}


def evaluation_of(table: DataTable, ctx: Context) -> Evaluation:
    task = scored_task(table.columns)
    if task == "clustering":
        return evaluate_clustering(table)
    return {"binary": evaluate_binary, "multiclass": evaluate_multiclass,
            "regression": evaluate_regression}[task](table, ctx)


@registry.register
class EvaluateModel(Module):
    id = "evaluate-model"
    name = "Evaluate Model"
    web_service = ServiceRole.EVALUATE
    category = "Machine Learning"
    subcategory = "Evaluate"
    description = "Evaluates the results of a classification, regression or clustering model with standard metrics."
    inputs = [InputPort("scored_dataset", PortType.DATA_TABLE, label="Scored dataset"),
              InputPort("scored_dataset_to_compare", PortType.DATA_TABLE, optional=True,
                        label="Scored dataset to compare")]
    outputs = [OutputPort("evaluation_results", PortType.EVALUATION, label="Evaluation results")]

    @classmethod
    def code_form(cls, node: CodeNode) -> CodeForm:
        """The metrics of the first scored input, printed one per line (the metric functions' source is copied);
        the task and the label are the run's."""
        evaluation = node.facts["outputs"]["evaluation_results"]
        if evaluation.task not in ("binary", "multiclass", "regression"):
            raise NoCodeForm(f"Evaluating a {evaluation.task} model has no code form yet")
        label = evaluation.details["label"]
        needed = [label, SCORED_LABELS] + ([SCORED_PROBABILITIES] if evaluation.task == "binary" else [])
        body = (f"    label = {label!r}\n"
                f"    rows = scored_dataset[scored_dataset[{needed!r}].notna().all(axis=1)]\n"
                f"    truth = np.asarray(rows[label].tolist())\n"
                f"    predicted = np.asarray(rows[{SCORED_LABELS!r}].tolist())\n")
        if evaluation.task == "regression":
            body += "    metrics = regression_metrics(truth.astype(float), predicted.astype(float))\n"
        else:
            body += "    truth, predicted = comparable(truth, predicted)\n"
            body += "    values = sorted(set(truth.tolist()) | set(predicted.tolist()))\n"
            if evaluation.task == "binary":
                body += ("    negative, positive = (values[0], values[1]) if len(values) == 2 else (None, values[0])\n"
                         f"    probability = rows[{SCORED_PROBABILITIES!r}].to_numpy(dtype=float)\n"
                         "    metrics = binary_metrics(truth, predicted, probability, negative, positive)\n")
            else:
                body += "    metrics = multiclass_metrics(truth, predicted, values)\n"
        body += ("    for name, value in metrics.items():\n        print(f'{name}: {value}')\n"
                 "    return metrics\n")
        used: dict[str, Callable[..., dict[str, Any]]] = {
            "binary": binary_metrics, "multiclass": multiclass_metrics, "regression": regression_metrics}
        helpers = [helper_source(comparable), helper_source(used[evaluation.task])]
        if evaluation.task == "regression":
            helpers.insert(0, helper_source(metric_number))
        return CodeForm(body, ("evaluation_results",), doc=f"{evaluation.task} metrics of '{label}'.",
                        imports=tuple(f"from sklearn.metrics import {name}" for name in METRIC_FUNCTIONS),
                        helpers=tuple(helpers))

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        evaluation = evaluation_of(table_input(inputs, "scored_dataset"), ctx)
        if inputs.get("scored_dataset_to_compare") is not None:
            evaluation.compared = evaluation_of(table_input(inputs, "scored_dataset_to_compare"), ctx)
        return {"evaluation_results": evaluation}
