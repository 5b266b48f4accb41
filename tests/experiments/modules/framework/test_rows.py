"""The small-request path (experiments/modules/framework/rows.py, trees.py): row kernels give exactly what the DataFrame
path gives — the same values, the same column types — or step aside with NotFast."""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from experiments.modules.framework.artifacts import ROW_APPLIERS
from experiments.modules.framework.base import ModuleError
from experiments.modules.framework.datatable import DataTable, Role
from experiments.modules.framework.rows import NotFast, Rows
from experiments.modules.framework.trees import CompiledBoosting
from experiments.modules.prediction import row_scorer, scored_table
from tests.experiments.modules.test_contract import run_module, untrained
from webservices.scoring.wire import format_outputs


def same_output(fast: Rows, slow: DataTable) -> None:
    """Byte-equal responses in every format the service writes, so values and types both agree."""
    for swagger, details in ((False, True), (True, False)):
        assert orjson.dumps(format_outputs({"o": fast}, swagger=swagger, details=details)) == \
            orjson.dumps(format_outputs({"o": slow}, swagger=swagger, details=details))
    assert fast.roles == slow.roles


def as_rows(frame: pd.DataFrame, roles: dict[str, Role] | None = None) -> Rows:
    """How the service parses a request: numbers as float64, everything else as objects."""
    columns = {}
    for name in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[name]):
            columns[name] = frame[name].to_numpy(dtype=float)
        else:
            values = np.empty(len(frame), dtype=object)
            values[:] = [None if v is None or v != v else v for v in frame[name]]
            columns[name] = values
    return Rows(columns, dict(roles or {}))


def requests() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 120
    frame = pd.DataFrame({"x": rng.normal(size=n), "n": rng.integers(0, 5, size=n).astype(float),
                          "colour": rng.choice(["red", "green", "blue", "purple"], size=n).astype(object),
                          "size": rng.choice(["S", "M", "L"], size=n).astype(object)})
    frame.loc[::5, "x"] = np.nan
    frame.loc[::7, "colour"] = None
    frame.loc[::3, "size"] = None
    return frame


def training_table() -> DataTable:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=400), "n": rng.integers(0, 5, size=400).astype(float),
                          "colour": rng.choice(["red", "green", "blue"], size=400),
                          "size": rng.choice(["S", "M", None], size=400)})
    frame["y"] = np.where(frame["x"] + (frame["colour"] == "red") > 0.3, "yes", "no")
    frame["kind"] = np.where(frame["n"] > 2, "a", np.where(frame["x"] > 0, "b", "c"))
    frame["amount"] = frame["x"] * 3 + frame["n"]
    return DataTable(frame, {})


# --- Clean Missing Data -------------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {"cleaning_mode": "Replace with mode"},
    {"cleaning_mode": "Replace with mean", "columns": {"mode": "rules", "rules": [
        {"include": True, "by": "type", "values": ["Numeric"]}]}},
    {"cleaning_mode": "Replace with median", "generate_missing_value_indicator_column": True,
     "columns": {"mode": "rules", "rules": [{"include": True, "by": "type", "values": ["Numeric"]}]}},
    {"cleaning_mode": "Custom substitution value", "replacement_value": "0"},
    {"cleaning_mode": "Remove entire row"},
    {"cleaning_mode": "Remove entire column"},
])
def test_cleaning_rows_equal_the_dataframe_transform(params):
    features = DataTable(training_table().frame[["x", "n", "colour", "size"]])
    fitted = run_module("clean-missing-data", {"dataset": features}, **params)["cleaning_transformation"]
    frame = requests()
    apply = ROW_APPLIERS[fitted.kind]
    for size in (1, 4, len(frame)):
        for start in range(0, len(frame), size)[:6]:
            chunk = frame.iloc[start:start + size].reset_index(drop=True)
            rows = as_rows(chunk, {"size": Role.FEATURE})
            slow = fitted.apply(rows.table())
            try:
                fast = apply(rows, fitted.state)
            except NotFast:  # e.g. a text fill for a numeric column: the DataFrame path's business
                continue
            same_output(fast, slow)


def test_cleaning_rows_step_aside_where_pandas_would_complain():
    features = DataTable(training_table().frame[["x", "n", "colour", "size"]])
    fitted = run_module("clean-missing-data", {"dataset": features},
                        cleaning_mode="Replace with mode")["cleaning_transformation"]
    missing_column = as_rows(requests().drop(columns=["colour"]).head(2))
    with pytest.raises(NotFast):
        ROW_APPLIERS[fitted.kind](missing_column, fitted.state)
    numbers_in_text = as_rows(requests().head(2))
    numbers_in_text.columns["x"] = np.array([None, "abc"], dtype=object)  # text where the fill is a number
    with pytest.raises(NotFast):
        ROW_APPLIERS[fitted.kind](numbers_in_text, fitted.state)
    with pytest.raises(ModuleError, match="Column 'x' holds text"):
        fitted.apply(numbers_in_text.table())


# --- Score Model --------------------------------------------------------------------------------


@pytest.mark.parametrize(("learner", "label"), [
    ("two-class-boosted-decision-tree", "y"), ("multiclass-boosted-decision-tree", "kind"),
    ("boosted-decision-tree-regression", "amount"), ("two-class-decision-forest", "y"),
    ("multiclass-decision-forest", "kind"), ("decision-forest-regression", "amount")])
@pytest.mark.parametrize("append", [True, False])
def test_scored_rows_equal_score_model(learner, label, append):
    table = training_table()
    table = DataTable(table.frame.drop(columns=[c for c in ("y", "kind", "amount") if c != label]), {})
    model = run_module("train-model", {"untrained_model": untrained(learner), "dataset": table},
                       label_column=[label])["trained_model"]
    score = row_scorer(model, append)
    assert score is not None, f"{learner} should have a row scorer"
    frame = requests()
    for size in (1, 3, 100):
        chunk = frame.iloc[:size]
        rows = as_rows(chunk, {"x": Role.FEATURE})
        same_output(score(rows), scored_table(model, rows.table(), append))


def test_a_numeric_feature_sent_as_text_takes_the_dataframe_path():
    model = run_module("train-model", {"untrained_model": untrained("two-class-boosted-decision-tree"),
                                       "dataset": training_table()}, label_column=["y"])["trained_model"]
    rows = as_rows(requests().head(1))
    rows.columns["x"] = np.array(["0.5"], dtype=object)
    with pytest.raises(NotFast):
        row_scorer(model, True)(rows)  # type: ignore[misc]


# --- Compiled boosted trees ---------------------------------------------------------------------


def categorical_data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 12, size=n).astype(float),
                         rng.integers(0, 40, size=n).astype(float), rng.normal(size=n)])
    X[rng.random(n) < 0.1, 0] = np.nan
    X[rng.random(n) < 0.1, 1] = np.nan
    y = (X[:, 1] % 3 == 0).astype(int) + (np.nan_to_num(X[:, 0]) > 0.5) + (X[:, 2] > 30)
    return X, y


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_compiled_trees_give_exactly_scikit_learns_numbers(kind):
    X, y = categorical_data(3000, 1)
    if kind == "binary":
        y = (y > 1).astype(int)
    model = (HistGradientBoostingRegressor if kind == "regression" else HistGradientBoostingClassifier)(
        max_iter=60, categorical_features=[1, 2], random_state=0).fit(X, y.astype(float) if kind == "regression" else y)
    compiled = CompiledBoosting.of(model)
    assert compiled is not None and compiled.categorical.any()
    new, _ = categorical_data(500, 2)
    new[::17, 1] = 55.0  # a category never seen in training: treated as missing
    new[::19, 2] = -1.0  # negative: treated as missing
    new[::23, 3] = np.nan  # missing where training had none
    for rows in (new[:1], new[:7], new[:64]):
        if kind == "regression":
            assert np.array_equal(compiled.predict(rows), model.predict(rows))
        else:
            assert np.array_equal(compiled.predict_proba(rows), model.predict_proba(rows))
    assert np.array_equal(compiled.raw(new), model._raw_predict(new))


def test_only_fitted_boosting_models_compile():
    assert CompiledBoosting.of(HistGradientBoostingClassifier()) is None
    assert CompiledBoosting.of(run_module("train-model", {
        "untrained_model": untrained("two-class-decision-forest"), "dataset": training_table()},
        label_column=["y"])["trained_model"].estimator) is None
