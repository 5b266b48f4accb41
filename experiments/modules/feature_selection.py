"""Feature Selection: rank features against a target, or by how much a trained model relies on them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics as skm
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression
from sklearn.inspection import permutation_importance

from .framework.artifacts import OPTIONAL, TrainedModel, Transform, label_columns, row_applier, transform_applier
from .framework.base import Context, Module, ModuleError, SchemaContext, ServiceRole, table_input
from .framework.datatable import Column, DataTable, Kind, Role, Schema
from .framework.params import Bool, Choice, Columns, Int, Seed
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry
from .framework.rows import Rows
from .training import feature_frame
from .transform import one_column, require_columns

CATEGORY = "Feature Selection"
METHODS = ["Pearson Correlation", "Mutual Information", "Kendall Correlation", "Spearman Correlation",
           "Chi Squared", "Fisher Score", "Count Based"]
# A numeric column with at most this many distinct values counts as classes; more are cut into this many bins.
LEVELS = 10
NEIGHBOURS = 3  # of the nearest-neighbour estimate of mutual information
MAX_FEATURES = 100_000  # more than any table has columns (uploads stop at ATELIER_MAX_COLUMNS)


# --- Filter Based Feature Selection ---------------------------------------------------------------


def is_number(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)


def as_numbers(series: pd.Series) -> pd.Series:
    """Numbers as floats; other values as codes in order of first appearance."""
    if is_number(series):
        return series.astype("float64")
    return pd.Series(pd.factorize(series)[0], index=series.index, dtype="float64")


def as_levels(series: pd.Series) -> pd.Series:
    """Values as classes for counting: text and few-valued numbers as they are, other numbers in quantile bins."""
    if not is_number(series) or series.nunique() <= LEVELS:
        return pd.Series(pd.factorize(series)[0], index=series.index)
    return pd.Series(pd.qcut(series, LEVELS, labels=False, duplicates="drop"), index=series.index)


def correlation(x: pd.Series, y: pd.Series, method: str) -> float:
    function = {"Pearson Correlation": stats.pearsonr, "Spearman Correlation": stats.spearmanr,
                "Kendall Correlation": stats.kendalltau}[method]
    return abs(float(function(as_numbers(x), as_numbers(y))[0]))


def mutual_information(x: pd.Series, y: pd.Series) -> float:
    """Mutual information with a class target, or with a numeric one (nearest-neighbour estimate, seeded)."""
    features, discrete = as_numbers(x).to_frame(), not is_number(x)
    if len(features) <= NEIGHBOURS:
        return 0.0
    if not is_number(y) or y.nunique() <= LEVELS:
        return float(mutual_info_classif(features, as_levels(y), discrete_features=discrete, n_neighbors=NEIGHBOURS,
                                         random_state=0)[0])
    return float(mutual_info_regression(features, y.astype("float64"), discrete_features=discrete,
                                        n_neighbors=NEIGHBOURS, random_state=0)[0])


def chi_squared(x: pd.Series, y: pd.Series) -> float:
    """The chi-squared statistic of the two-way table of feature levels against target levels."""
    counts = pd.crosstab(as_levels(x), as_levels(y))
    if min(counts.shape) < 2:
        return 0.0
    return float(stats.chi2_contingency(counts, correction=False).statistic)


def fisher_score(x: pd.Series, y: pd.Series) -> float:
    """Spread of the class means of x around its mean, over the spread within classes."""
    values, classes = as_numbers(x), as_levels(y)
    groups = [values[classes == level] for level in classes.unique()]
    between = sum(len(g) * (g.mean() - values.mean()) ** 2 for g in groups)
    within = sum(len(g) * g.var(ddof=0) for g in groups)
    return float(between / within) if within else 0.0


def non_zero_count(x: pd.Series) -> float:
    """How many values are present and not zero (or empty text): the Count Based score."""
    present = x.dropna()
    return float((present != (0 if is_number(x) else "")).sum())


SCORERS: dict[str, Callable[[pd.Series, pd.Series], float]] = {
    "Pearson Correlation": lambda x, y: correlation(x, y, "Pearson Correlation"),
    "Spearman Correlation": lambda x, y: correlation(x, y, "Spearman Correlation"),
    "Kendall Correlation": lambda x, y: correlation(x, y, "Kendall Correlation"),
    "Mutual Information": mutual_information, "Chi Squared": chi_squared, "Fisher Score": fisher_score,
}


def feature_score(x: pd.Series, y: pd.Series, method: str) -> float:
    """How useful feature x is for predicting y (higher is better), on the rows where both are present."""
    if method == "Count Based":
        return non_zero_count(x)
    rows = x.notna() & y.notna()
    x, y = x[rows], y[rows]
    if len(x) < 2 or x.nunique() < 2 or y.nunique() < 2:
        return 0.0
    score = SCORERS[method](x, y)
    return score if np.isfinite(score) else 0.0


@transform_applier("filter-based-feature-selection")
def apply_feature_selection(table: DataTable, state: dict[str, Any]) -> DataTable:
    """The target and the features chosen in training, whatever the new data would rank highest (a request's
    few rows, without their label, rank nothing)."""
    present = require_columns(table, state["columns"], "Filter Based Feature Selection", label_columns(state))
    return table.with_frame(table.frame[present])


@row_applier("filter-based-feature-selection")
def apply_feature_selection_rows(rows: Rows, state: dict[str, Any]) -> Rows:
    optional = label_columns(state)
    rows.require([column for column in state["columns"] if column not in optional])
    kept = [column for column in state["columns"] if column in rows.columns]
    return Rows({column: rows.columns[column] for column in kept},
                {column: role for column, role in rows.roles.items() if column in kept})


@registry.register
class FilterBasedFeatureSelection(Module):
    id = "filter-based-feature-selection"
    name = "Filter Based Feature Selection"
    category = CATEGORY
    description = "Identifies the features in a dataset with the greatest predictive power."
    version = 2  # the selection as a Transform: a web service keeps the features chosen in training
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("filtered_dataset", PortType.DATA_TABLE), OutputPort("features", PortType.DATA_TABLE),
               OutputPort("feature_selection", PortType.TRANSFORM)]
    caption = ("{feature_scoring_method}", "target: {target_column}", "top {number_of_desired_features}")
    params = {
        "operate_on_feature_columns_only": Bool("Operate on feature columns only", True),
        "target_column": Columns("Target column", single=True),
        "number_of_desired_features": Int("Number of desired features", 1, minimum=1, maximum=MAX_FEATURES),
        "feature_scoring_method": Choice("Feature scoring method", "Pearson Correlation", choices=METHODS),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        target = one_column(table, params["target_column"], "target_column", self.name)
        candidates = self.candidates(table, target, params["operate_on_feature_columns_only"])
        scores = {}
        for done, column in enumerate(candidates):
            scores[column] = feature_score(table.frame[column], table.frame[target], params["feature_scoring_method"])
            ctx.progress((done + 1) / len(candidates))
        ranked = sorted(candidates, key=lambda column: -scores[column])  # stable: ties keep the table's order
        kept = ranked[:params["number_of_desired_features"]]
        state = {"columns": [target, *kept], OPTIONAL: [target]}  # the target is the label: scoring lacks it
        features = pd.DataFrame([[scores[column] for column in ranked]], columns=ranked, dtype="float64")
        return {"filtered_dataset": apply_feature_selection(table, state), "features": DataTable(features),
                "feature_selection": Transform("filter-based-feature-selection", state, name=self.name)}

    @staticmethod
    def candidates(table: DataTable, target: str, features_only: bool) -> list[str]:
        columns = [c for c in table.columns if c != target and (not features_only or table.role(c) == Role.FEATURE)]
        if not columns:
            raise ModuleError(f"There are no {'feature ' if features_only else ''}columns to score besides the "
                              f"target '{target}'", parameter="operate_on_feature_columns_only")
        return columns


# --- Permutation Feature Importance ---------------------------------------------------------------

CLASSIFICATION_METRICS = ["Accuracy", "Precision", "Recall", "Average Log Loss"]
REGRESSION_METRICS = ["Mean Absolute Error", "Root Mean Squared Error", "Relative Absolute Error",
                      "Relative Squared Error", "Coefficient of Determination"]
CLASSIFIERS = ("binary", "multiclass")


def relative_absolute_error(y: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.abs(y - predicted).sum() / np.abs(y - y.mean()).sum())


def relative_squared_error(y: np.ndarray, predicted: np.ndarray) -> float:
    return float(((y - predicted) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def scorer_for(metric: str, model: TrainedModel) -> Any:
    """A scikit-learn scorer for the metric, higher being better (errors are negated)."""
    named = {"Accuracy": "accuracy", "Average Log Loss": "neg_log_loss", "Mean Absolute Error":
             "neg_mean_absolute_error", "Root Mean Squared Error": "neg_root_mean_squared_error",
             "Coefficient of Determination": "r2"}
    if metric in named:
        return named[metric]
    if metric in ("Precision", "Recall"):
        function = skm.precision_score if metric == "Precision" else skm.recall_score
        if model.task == "binary":  # the positive class is the second of the two, as Score Model calls it
            positive = model.classes[-1] if model.classes else 1
            return skm.make_scorer(function, average="binary", pos_label=positive, zero_division=0)
        return skm.make_scorer(function, average="macro", zero_division=0)
    relative = relative_absolute_error if metric == "Relative Absolute Error" else relative_squared_error
    return skm.make_scorer(relative, greater_is_better=False)


def check_metric(metric: str, model: TrainedModel) -> None:
    if model.task not in (*CLASSIFIERS, "regression"):
        raise ModuleError(f"Permutation Feature Importance needs a classification or regression model; this one is "
                          f"a {model.task} model", parameter="metric_for_measuring_performance")
    classification = model.task in CLASSIFIERS
    if classification and metric not in CLASSIFICATION_METRICS:
        raise ModuleError(f"'{metric}' is a regression metric, but the model is a classifier; choose one of "
                          f"{', '.join(CLASSIFICATION_METRICS)}", parameter="metric_for_measuring_performance")
    if not classification and metric not in REGRESSION_METRICS:
        raise ModuleError(f"'{metric}' is a classification metric, but the model is a regression model; choose one "
                          f"of {', '.join(REGRESSION_METRICS)}", parameter="metric_for_measuring_performance")


def labelled(table: DataTable, model: TrainedModel) -> tuple[pd.DataFrame, np.ndarray]:
    """The model's features and the true labels of the test rows that have a label."""
    label = str(model.label)
    if label not in table.frame.columns:
        raise ModuleError(f"The test data has no '{label}' column, the label the model was trained on", column=label)
    rows = table.frame[table.frame[label].notna()]
    if rows.empty:
        raise ModuleError(f"The test data has no rows with a value in the label column '{label}'", column=label)
    y = np.asarray(rows[label].tolist())
    return feature_frame(rows, model.features), (y.astype("float64") if model.task == "regression" else y)


@registry.register
class PermutationFeatureImportance(Module):
    id = "permutation-feature-importance"
    name = "Permutation Feature Importance"
    web_service = ServiceRole.EVALUATE
    category = CATEGORY
    description = ("Computes the permutation feature importance scores of feature variables given a trained model "
                   "and a test dataset.")
    inputs = [InputPort("trained_model", PortType.TRAINED_MODEL), InputPort("test_data", PortType.DATA_TABLE)]
    outputs = [OutputPort("feature_importance", PortType.DATA_TABLE)]
    caption = ("{metric_for_measuring_performance}", "random seed {random_seed}")
    params = {"random_seed": Seed(),
              "metric_for_measuring_performance": Choice("Metric for measuring performance", "Accuracy",
                                                         choices=CLASSIFICATION_METRICS + REGRESSION_METRICS)}

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        model = inputs.get("trained_model")
        if not isinstance(model, TrainedModel) or model.label is None:
            raise ModuleError("Permutation Feature Importance needs a trained classification or regression model")
        metric = params["metric_for_measuring_performance"]
        check_metric(metric, model)
        features, y = labelled(table_input(inputs, "test_data"), model)
        try:
            result = permutation_importance(model.estimator, features, y, scoring=scorer_for(metric, model),
                                            n_repeats=1, random_state=params["random_seed"])
        except ValueError as error:
            raise ModuleError(f"The model can't be scored on the test data with {metric}: {error}",
                              parameter="metric_for_measuring_performance") from None
        frame = pd.DataFrame({"Feature": [column.name for column in model.features],
                              "Score": result.importances_mean.astype("float64")})
        frame = frame.sort_values("Score", ascending=False, kind="stable").reset_index(drop=True)
        return {"feature_importance": DataTable(frame.astype({"Feature": "str"}))}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"feature_importance": [Column("Feature", Kind.STRING), Column("Score", Kind.NUMERIC)]}

