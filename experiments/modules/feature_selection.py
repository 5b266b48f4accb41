"""Feature Selection: rank features against a target, or by how much a trained model relies on them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics as skm
from sklearn.feature_selection import chi2, mutual_info_classif, mutual_info_regression
from sklearn.inspection import permutation_importance

from .artifacts import TrainedModel
from .base import Context, Module, ModuleError, table_input
from .datatable import DataTable, Role
from .params import Bool, Choice, Columns, Int
from .ports import InputPort, OutputPort, PortType
from .registry import registry
from .training import feature_frame
from .transform import one_column

CATEGORY = "Feature Selection"
METHODS = ["Pearson Correlation", "Mutual Information", "Kendall Correlation", "Spearman Correlation",
           "Chi Squared", "Fisher Score", "Count Based"]


def as_numbers(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("float64")
    return pd.Series(pd.factorize(series.astype(object))[0], index=series.index, dtype="float64").replace(-1, np.nan)


def feature_score(x: pd.Series, y: pd.Series, method: str) -> float:
    """How strongly feature x relates to target y (higher = more useful), as the classic module ranked them."""
    if method == "Count Based":
        return float(x.notna().sum())
    rows = x.notna() & y.notna()
    x, y = as_numbers(x[rows]), as_numbers(y[rows])
    if len(x) < 2 or x.nunique() < 2 or y.nunique() < 2:
        return 0.0
    if method in ("Pearson Correlation", "Spearman Correlation", "Kendall Correlation"):
        function = {"Pearson Correlation": stats.pearsonr, "Spearman Correlation": stats.spearmanr,
                    "Kendall Correlation": stats.kendalltau}[method]
        return float(abs(function(x, y)[0]))
    if method == "Mutual Information":
        estimate = mutual_info_regression if y.nunique() > 20 else mutual_info_classif
        return float(estimate(x.to_frame(), y if y.nunique() > 20 else y.astype(int), random_state=0)[0])
    if method == "Chi Squared":
        return float(chi2((x - x.min()).to_frame(), y.astype(int))[0][0])
    groups = [x[y == value] for value in y.unique()]
    spread = sum(len(g) * (g.mean() - x.mean()) ** 2 for g in groups)
    within = sum(len(g) * g.var(ddof=0) for g in groups)
    return float(spread / within) if within else 0.0


@registry.register
class FilterBasedFeatureSelection(Module):
    name = "Filter Based Feature Selection"
    category = CATEGORY
    description = "Scores each feature against the target column and keeps the N best."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("filtered_dataset", PortType.DATA_TABLE), OutputPort("features", PortType.DATA_TABLE)]
    params = {
        "operate_on_feature_columns_only": Bool("Operate on feature columns only", True),
        "target_column": Columns("Target column", single=True),
        "number_of_desired_features": Int("Number of desired features", 1, minimum=1),
        "feature_scoring_method": Choice("Feature scoring method", "Pearson Correlation", choices=METHODS),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        target = one_column(table, params["target_column"], "target_column", self.name)
        candidates = [c for c in table.columns if c != target and
                      (not params["operate_on_feature_columns_only"] or table.role(c) == Role.FEATURE)]
        method = params["feature_scoring_method"]
        scores = {c: feature_score(table.frame[c], table.frame[target], method) for c in candidates}
        ranked = sorted(scores, key=lambda c: -scores[c])
        kept = ranked[:params["number_of_desired_features"]]
        filtered = table.with_frame(table.frame[[c for c in table.columns if c in kept or c == target]])
        return {"filtered_dataset": filtered, "features": DataTable(pd.DataFrame([[scores[c] for c in ranked]],
                                                                                 columns=ranked))}


METRICS = ["Accuracy", "Precision", "Recall", "Average Log Loss", "Mean Absolute Error", "Root Mean Squared Error",
           "Relative Absolute Error", "Relative Squared Error", "Coefficient of Determination"]


def scorer_for(metric: str, model: TrainedModel) -> Any:
    """A scikit-learn scorer (higher is better) for the chosen metric."""
    classification = model.task in ("binary", "multiclass")
    if classification and metric not in ("Accuracy", "Precision", "Recall", "Average Log Loss"):
        raise ModuleError(f"'{metric}' is a regression metric; the model is a {model.task} classifier",
                          parameter="metric_for_measuring_performance")
    if not classification and metric in ("Accuracy", "Precision", "Recall", "Average Log Loss"):
        raise ModuleError(f"'{metric}' is a classification metric; the model is a regression model",
                          parameter="metric_for_measuring_performance")
    average = "binary" if model.task == "binary" else "macro"
    named = {"Accuracy": "accuracy", "Average Log Loss": "neg_log_loss", "Mean Absolute Error":
             "neg_mean_absolute_error", "Root Mean Squared Error": "neg_root_mean_squared_error",
             "Coefficient of Determination": "r2"}
    if metric in named:
        return named[metric]
    if metric in ("Precision", "Recall"):
        function = skm.precision_score if metric == "Precision" else skm.recall_score
        positive = model.classes[-1] if model.classes else 1
        return skm.make_scorer(function, average=average, zero_division=0,
                               **({"pos_label": positive} if average == "binary" else {}))
    relative = {"Relative Absolute Error": lambda t, p: np.abs(t - p).sum() / np.abs(t - t.mean()).sum(),
                "Relative Squared Error": lambda t, p: ((t - p) ** 2).sum() / ((t - t.mean()) ** 2).sum()}[metric]
    return skm.make_scorer(relative, greater_is_better=False)


@registry.register
class PermutationFeatureImportance(Module):
    name = "Permutation Feature Importance"
    category = CATEGORY
    description = "Measures how much a trained model's score drops when each feature's values are shuffled."
    inputs = [InputPort("trained_model", PortType.TRAINED_MODEL), InputPort("test_data", PortType.DATA_TABLE)]
    outputs = [OutputPort("feature_importance", PortType.DATA_TABLE)]
    params = {"random_seed": Int("Random seed", 0, minimum=0),
              "metric_for_measuring_performance": Choice("Metric for measuring performance", "Accuracy",
                                                         choices=METRICS)}

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        model = inputs.get("trained_model")
        if not isinstance(model, TrainedModel) or model.label is None:
            raise ModuleError("Permutation Feature Importance needs a trained classifier or regressor")
        table = table_input(inputs, "test_data")
        if model.label not in table.frame.columns:
            raise ModuleError(f"The test data has no '{model.label}' column (the model's label)", column=model.label)
        rows = table.frame[table.frame[model.label].notna()]
        result = permutation_importance(model.estimator, feature_frame(rows, model.features), rows[model.label],
                                        scoring=scorer_for(params["metric_for_measuring_performance"], model),
                                        n_repeats=1, random_state=params["random_seed"])
        frame = pd.DataFrame({"Feature": [c.name for c in model.features], "Score": result.importances_mean})
        frame = frame.sort_values("Score", ascending=False, kind="stable").reset_index(drop=True)
        return {"feature_importance": DataTable(frame)}

