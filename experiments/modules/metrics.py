"""Evaluation metrics, with the classic studio's names: scikit-learn's functions, so a hand-written script gets
the same numbers. Evaluate Model reports them; Cross-Validate and Tune report a fold's (fold_metrics)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)

from .training import SCORED_LABELS, SCORED_PROBABILITIES, class_probability_column

# The scikit-learn functions the metrics below call (an exported script imports them: Evaluate Model's code form).
METRIC_FUNCTIONS = ("accuracy_score", "confusion_matrix", "f1_score", "log_loss", "mean_absolute_error",
                    "precision_score", "r2_score", "recall_score", "roc_auc_score", "root_mean_squared_error")
LOWER_IS_BETTER = {"Average Log Loss", "Mean Absolute Error", "Root Mean Squared Error", "Relative Absolute Error",
                   "Relative Squared Error"}
FOLD_METRICS = {
    "binary": ["Accuracy", "Precision", "Recall", "F1 Score", "AUC", "Average Log Loss"],
    "multiclass": ["Overall accuracy", "Average accuracy", "Micro-averaged precision", "Macro-averaged precision",
                   "Micro-averaged recall", "Macro-averaged recall", "Macro-averaged F1 Score", "Average Log Loss"],
    "regression": ["Mean Absolute Error", "Root Mean Squared Error", "Relative Absolute Error",
                   "Relative Squared Error", "Coefficient of Determination"],
}


def metric_number(value: Any) -> float | None:
    number = float(value)
    return None if np.isnan(number) else number


def binary_metrics(y_true: np.ndarray, predicted: np.ndarray, probability: np.ndarray,
                   negative: Any, positive: Any) -> dict[str, Any]:
    actual, called = np.asarray(y_true == positive, dtype=bool), np.asarray(predicted == positive, dtype=bool)
    both = len(np.unique(actual)) == 2
    return {
        "Accuracy": float(accuracy_score(actual, called)),
        "Precision": float(precision_score(actual, called, zero_division=0.0)),
        "Recall": float(recall_score(actual, called, zero_division=0.0)),
        "F1 Score": float(f1_score(actual, called, zero_division=0.0)),
        "AUC": float(roc_auc_score(actual, probability)) if both else None,
        "Threshold": 0.5,
        "Average Log Loss": float(log_loss(actual, probability, labels=[False, True])) if len(actual) else None,
        "Positive Label": positive, "Negative Label": negative,
        "True Positive": int(np.sum(actual & called)), "False Negative": int(np.sum(actual & ~called)),
        "False Positive": int(np.sum(~actual & called)), "True Negative": int(np.sum(~actual & ~called)),
    }


def multiclass_metrics(y_true: np.ndarray, predicted: np.ndarray, labels: list[Any]) -> dict[str, Any]:
    matrix = confusion_matrix(y_true, predicted, labels=labels)
    total = matrix.sum()
    wrong = matrix.sum(axis=0) + matrix.sum(axis=1) - 2 * np.diag(matrix)  # FP + FN per class
    kwargs: dict[str, Any] = {"labels": labels, "zero_division": 0.0}
    return {
        "Overall accuracy": float(accuracy_score(y_true, predicted)),
        "Average accuracy": float(np.mean((total - wrong) / total)),
        "Micro-averaged precision": float(precision_score(y_true, predicted, average="micro", **kwargs)),
        "Macro-averaged precision": float(precision_score(y_true, predicted, average="macro", **kwargs)),
        "Micro-averaged recall": float(recall_score(y_true, predicted, average="micro", **kwargs)),
        "Macro-averaged recall": float(recall_score(y_true, predicted, average="macro", **kwargs)),
    }


def regression_metrics(y_true: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    spread = y_true - y_true.mean()
    absolute, squared = np.abs(spread).sum(), np.square(spread).sum()
    return {
        "Mean Absolute Error": float(mean_absolute_error(y_true, predicted)),
        "Root Mean Squared Error": float(root_mean_squared_error(y_true, predicted)),
        "Relative Absolute Error": float(np.abs(y_true - predicted).sum() / absolute) if absolute else None,
        "Relative Squared Error": float(np.square(y_true - predicted).sum() / squared) if squared else None,
        "Coefficient of Determination": metric_number(r2_score(y_true, predicted)),
    }


def fold_metrics(task: str, y_true: np.ndarray, scores: pd.DataFrame, classes: list[Any]) -> dict[str, Any]:
    """The metrics Cross-Validate and Tune report for one held-out set of a model's scores."""
    predicted = np.asarray(scores[SCORED_LABELS].tolist())
    if task == "regression":
        return regression_metrics(y_true.astype(float), predicted.astype(float))
    if task == "binary":
        metrics = binary_metrics(y_true, predicted, scores[SCORED_PROBABILITIES].to_numpy(float), *classes)
        return {name: metrics[name] for name in FOLD_METRICS["binary"]}
    proba = scores[[class_probability_column(value) for value in classes]].to_numpy(float)
    # A validation set may hold classes the model never saw: they count, but have no probability.
    labels = list(dict.fromkeys([*classes, *np.unique(y_true).tolist()]))
    extra = {"Macro-averaged F1 Score": float(f1_score(y_true, predicted, labels=labels, average="macro",
                                                       zero_division=0.0)),
             "Average Log Loss": float(log_loss(y_true, proba, labels=classes)) if labels == classes else None}
    return multiclass_metrics(y_true, predicted, labels) | extra
