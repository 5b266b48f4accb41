"""Filter Based Feature Selection and Permutation Feature Importance, on small tables with known answers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from experiments.modules.feature_selection import FilterBasedFeatureSelection, PermutationFeatureImportance
from experiments.modules.framework.artifacts import TrainedModel
from experiments.modules.framework.base import Context, ModuleError, SchemaContext
from experiments.modules.framework.datatable import Column, DataTable, Kind, Role


def run(cls: Any, inputs: dict[str, Any], **raw: Any) -> dict[str, Any]:
    params, problems = cls.clean_params(raw)
    assert not problems, problems
    return cls().execute(inputs, params, Context())


# --- Filter Based Feature Selection ---------------------------------------------------------------

Y = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]


def table() -> DataTable:
    frame = pd.DataFrame({
        "weak": [2.0, 1.0, 4.0, 3.0, 2.0, 6.0, 5.0, 3.0],
        "falls": [16.0, 14.0, 12.0, 10.0, 9.0, 7.0, 3.0, 1.0],  # strongly, negatively correlated
        "constant": [5.0] * 8,
        "color": ["r", "g", "r", "g", "b", "b", "r", "g"],
        "y": Y,
        "other_label": [0, 1, 0, 1, 0, 1, 0, 1],
    })
    return DataTable(frame, {"other_label": Role.LABEL})


def select(**raw: Any) -> dict[str, Any]:
    return run(FilterBasedFeatureSelection, {"dataset": table()}, target_column=["y"], **raw)


def scores(result: dict[str, Any]) -> dict[str, float]:
    frame = result["features"].frame
    assert len(frame) == 1
    return dict(zip(frame.columns, frame.iloc[0].tolist(), strict=True))


def test_pearson_ranks_by_absolute_correlation_and_keeps_the_target_first():
    result = select(number_of_desired_features=2)
    expected = {name: abs(np.corrcoef(table().frame[name], Y)[0, 1]) for name in ("weak", "falls")}
    got = scores(result)
    assert list(got)[:2] == ["falls", "weak"]
    assert got["falls"] == pytest.approx(expected["falls"]) and got["weak"] == pytest.approx(expected["weak"])
    assert got["constant"] == 0.0
    assert "other_label" not in got and "y" not in got
    assert result["filtered_dataset"].columns == ["y", "falls", "weak"]


@pytest.mark.parametrize(("method", "function"), [("Spearman Correlation", stats.spearmanr),
                                                  ("Kendall Correlation", stats.kendalltau)])
def test_rank_correlations(method, function):
    got = scores(select(feature_scoring_method=method))
    assert got["weak"] == pytest.approx(abs(function(table().frame["weak"], Y)[0]))
    assert got["falls"] == pytest.approx(1.0)


def test_chi_squared_scores_the_two_way_table_of_levels():
    frame = pd.DataFrame({"a": list("xxyyxyxy"), "b": list("ppppqqqq"), "target": list("uuvvuvvv")})
    result = run(FilterBasedFeatureSelection, {"dataset": DataTable(frame)}, target_column=["target"],
                 feature_scoring_method="Chi Squared")
    # a against target, counted by hand: x with u 3 times, x with v once, y with u never, y with v 4 times
    observed = np.array([[3, 1], [0, 4]])
    expected = np.outer(observed.sum(1), observed.sum(0)) / observed.sum()
    got = scores(result)
    assert got["a"] == pytest.approx(((observed - expected) ** 2 / expected).sum())
    assert list(got) == sorted(got, key=lambda name: -got[name])


def test_fisher_score_is_between_class_over_within_class_spread():
    frame = pd.DataFrame({"f": [1.0, 2.0, 3.0, 7.0, 8.0, 9.0], "c": ["a", "a", "a", "b", "b", "b"]})
    got = scores(run(FilterBasedFeatureSelection, {"dataset": DataTable(frame)}, target_column=["c"],
                     feature_scoring_method="Fisher Score"))
    # class means 2 and 8 around 5: between = 3*9 + 3*9 = 54; within = 3*(2/3) + 3*(2/3) = 4
    assert got["f"] == pytest.approx(54 / 4)


def test_count_based_counts_present_non_zero_values():
    frame = pd.DataFrame({"sparse": [0.0, 0.0, 1.0, np.nan, 2.0], "dense": [1.0, 2.0, 3.0, 4.0, 5.0],
                          "text": ["a", "", None, "b", "c"], "t": [1, 2, 3, 4, 5]})
    got = scores(run(FilterBasedFeatureSelection, {"dataset": DataTable(frame)}, target_column=["t"],
                     feature_scoring_method="Count Based", number_of_desired_features=3))
    assert got == {"dense": 5.0, "text": 3.0, "sparse": 2.0}


def test_mutual_information_is_seeded_and_finds_the_informative_feature():
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    frame = pd.DataFrame({"noise": rng.normal(size=200), "signal": x, "target": (x > 0).astype(int)})
    first = scores(run(FilterBasedFeatureSelection, {"dataset": DataTable(frame)}, target_column=["target"],
                       feature_scoring_method="Mutual Information"))
    second = scores(run(FilterBasedFeatureSelection, {"dataset": DataTable(frame)}, target_column=["target"],
                        feature_scoring_method="Mutual Information"))
    assert first == second
    assert list(first) == ["signal", "noise"] and first["signal"] > 0.4


def test_all_columns_compete_when_not_only_features():
    got = scores(select(operate_on_feature_columns_only=False, number_of_desired_features=10))
    assert "other_label" in got and "y" not in got


def test_missing_values_are_left_out_pairwise():
    frame = pd.DataFrame({"f": [1.0, 2.0, np.nan, 4.0, 5.0], "t": [2.0, 4.0, 6.0, 8.0, np.nan]})
    got = scores(run(FilterBasedFeatureSelection, {"dataset": DataTable(frame)}, target_column=["t"]))
    assert got["f"] == pytest.approx(1.0)


def test_filter_based_feature_selection_errors():
    with pytest.raises(ModuleError, match="'nope' not found") as error:
        run(FilterBasedFeatureSelection, {"dataset": table()}, target_column=["nope"])
    assert error.value.column == "nope"
    with pytest.raises(ModuleError, match="no feature columns to score besides the target 'y'"):
        run(FilterBasedFeatureSelection, {"dataset": DataTable(pd.DataFrame({"y": Y}))}, target_column=["y"])
    _, problems = FilterBasedFeatureSelection.clean_params({"number_of_desired_features": 0}, "n1")
    assert [p.message for p in problems] == [
        "The 'Number of desired features' parameter of Filter Based Feature Selection (node n1) must be an integer "
        "in [1, 100000]; got 0."]


# --- Permutation Feature Importance ---------------------------------------------------------------


def classifier_data(rows: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x1 = rng.uniform(-1, 1, size=rows)
    return pd.DataFrame({"x1": x1, "x2": rng.uniform(-1, 1, size=rows), "y": np.where(x1 > 0, "yes", "no")})


def trained_classifier() -> TrainedModel:
    frame = classifier_data()
    tree = Pipeline([("tree", DecisionTreeClassifier(random_state=0))]).fit(frame[["x1", "x2"]], frame["y"])
    return TrainedModel(learner="two-class-decision-forest", task="binary", estimator=tree,
                        features=[Column("x1", Kind.NUMERIC), Column("x2", Kind.NUMERIC)], label="y",
                        classes=["no", "yes"])


def trained_regressor() -> tuple[TrainedModel, DataTable]:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50)})
    frame["y"] = 3 * frame["a"]
    model = Pipeline([("linear", LinearRegression())]).fit(frame[["a", "b"]], frame["y"])
    trained = TrainedModel(learner="linear-regression", task="regression", estimator=model,
                           features=[Column("a", Kind.NUMERIC), Column("b", Kind.NUMERIC)], label="y")
    return trained, DataTable(frame)


def importance(model: TrainedModel, data: DataTable, **raw: Any) -> pd.DataFrame:
    return run(PermutationFeatureImportance, {"trained_model": model, "test_data": data}, **raw)[
        "feature_importance"].frame


def test_permutation_importance_of_a_classifier_sorted_by_score():
    frame = importance(trained_classifier(), DataTable(classifier_data()))
    assert list(frame.columns) == ["Feature", "Score"]
    assert frame["Feature"].tolist() == ["x1", "x2"]
    assert frame["Score"].iloc[0] > 0.2  # shuffling the deciding feature costs accuracy
    assert frame["Score"].iloc[1] == 0.0  # the tree never looks at x2


def test_permutation_importance_is_seeded():
    model, data = trained_classifier(), DataTable(classifier_data())
    assert importance(model, data, random_seed=4).equals(importance(model, data, random_seed=4))


def test_permutation_importance_of_a_regressor_with_an_error_metric():
    model, data = trained_regressor()
    frame = importance(model, data, metric_for_measuring_performance="Mean Absolute Error")
    assert frame["Feature"].tolist() == ["a", "b"]
    assert frame["Score"].iloc[0] > 1.0 and abs(frame["Score"].iloc[1]) < 1e-9
    relative = importance(model, data, metric_for_measuring_performance="Relative Squared Error")
    assert relative["Score"].iloc[0] > 0.5 and abs(relative["Score"].iloc[1]) < 1e-9


def test_permutation_importance_checks_the_metric_and_the_label_column():
    model, data = trained_regressor()
    with pytest.raises(ModuleError, match="'Accuracy' is a classification metric") as error:
        importance(model, data)
    assert error.value.parameter == "metric_for_measuring_performance"
    with pytest.raises(ModuleError, match="no 'y' column") as error:
        importance(model, DataTable(data.frame.drop(columns=["y"])), metric_for_measuring_performance="Root Mean "
                   "Squared Error")
    assert error.value.column == "y"
    unlabelled = DataTable(classifier_data().assign(y=None))
    with pytest.raises(ModuleError, match="no rows with a value in the label column 'y'"):
        importance(trained_classifier(), unlabelled)


def test_permutation_importance_schema_is_known_before_running():
    params, _ = PermutationFeatureImportance.clean_params({})
    schema = PermutationFeatureImportance().infer_schema({}, params, SchemaContext())["feature_importance"]
    assert schema == importance(trained_classifier(), DataTable(classifier_data()))[["Feature", "Score"]].pipe(
        DataTable).schema


def test_a_target_with_a_single_value_scores_every_feature_zero():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": [5.0, 1.0, 2.0, 3.0, 3.0], "y": [1, 1, 1, 1, 1]})
    for method in ("Pearson Correlation", "Mutual Information", "Chi Squared", "Fisher Score"):
        got = scores(run(FilterBasedFeatureSelection, {"dataset": DataTable(frame)}, target_column=["y"],
                         feature_scoring_method=method))
        assert got == {"a": 0.0, "b": 0.0}, method
