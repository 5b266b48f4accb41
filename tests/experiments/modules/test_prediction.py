"""Predicting (prediction.py): the fast encoding gives exactly the fitted pipeline's numbers (it only skips
per-call checks), and row blocks on threads give the numbers of one block."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.modules.framework.base import ModuleError
from experiments.modules.framework.datatable import DataTable, Role
from experiments.modules.prediction import FastEncoding, RowBlocks, score_frame
from experiments.modules.training import feature_frame
from tests.experiments.modules.test_contract import run_module, untrained


def trained(learner):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=300), "n": rng.integers(0, 5, size=300).astype(float),
                          "colour": rng.choice(["red", "green", "blue"], size=300),
                          "size": rng.choice(["S", "M", None], size=300)})
    frame["y"] = np.where(frame["x"] + (frame["colour"] == "red") > 0.3, "yes", "no")
    table = DataTable(frame, {"y": Role.LABEL})
    return run_module("train-model", {"untrained_model": untrained(learner), "dataset": table},
                      label_column=["y"])["trained_model"]


@pytest.mark.parametrize("learner", ["two-class-boosted-decision-tree", "two-class-decision-forest"])
def test_fast_encoding_equals_the_pipeline_on_missing_unseen_and_text_numbers(learner):
    model = trained(learner)
    fast = FastEncoding.of(model.estimator)
    assert fast is not None
    rows = pd.DataFrame({"x": ["0.5", None, "1e3", "-2"], "n": [1.0, np.nan, 7.0, np.inf],
                         "colour": ["red", "purple", None, "blue"], "size": [None, "M", "XL", "S"]})
    expected = model.estimator.predict_proba(feature_frame(rows, model.features))
    assert np.array_equal(fast.final.predict_proba(fast.matrix(rows, model.features)), expected)
    scored = score_frame(model, rows)
    assert scored["Scored Probabilities"].tolist() == expected[:, 1].tolist()
    many = pd.concat([rows] * 50, ignore_index=True)  # past FEW_ROWS: the vectorised category lookup
    many["colour"] = many["colour"].astype(object)
    many.loc[::7, "colour"] = 5  # a number in a text column is looked up as "5"
    expected = model.estimator.predict_proba(feature_frame(many, model.features))
    assert len(many) > FastEncoding.FEW_ROWS
    assert np.array_equal(fast.final.predict_proba(fast.matrix(many, model.features)), expected)


def test_other_pipelines_keep_the_general_path_and_errors_are_the_same():
    model = trained("two-class-logistic-regression")  # one-hot encoding: not the ordinal shape
    assert FastEncoding.of(model.estimator) is None
    boosted = trained("two-class-boosted-decision-tree")
    with pytest.raises(ModuleError, match="lacks the column"):
        score_frame(boosted, pd.DataFrame({"x": [1.0]}))
    with pytest.raises(ModuleError, match="Column 'x' is not numeric"):
        score_frame(boosted, pd.DataFrame({"x": ["abc"], "n": [1.0], "colour": ["red"], "size": ["S"]}))


def test_text_held_by_arrow_is_encoded_as_the_pipeline_encodes_it():
    """A batch chunk's text columns are pandas' Arrow-backed str (webservices/batch_csv.chunk_table): matched in
    Arrow, with the same codes for known, unseen ('purple', 'XL') and missing values."""
    model = trained("two-class-boosted-decision-tree")
    fast = FastEncoding.of(model.estimator)
    rows = pd.DataFrame({"x": [0.5, np.nan, 1e3, -2.0] * 30, "n": [1.0, np.nan, 7.0, 2.0] * 30,
                         "colour": pd.array(["red", "purple", None, "blue"] * 30, dtype="str"),
                         "size": pd.array([None, "M", "XL", "S"] * 30, dtype="str")})
    assert isinstance(rows["colour"].array, pd.arrays.ArrowStringArray) and len(rows) > FastEncoding.FEW_ROWS
    as_objects = rows.astype({"colour": object, "size": object})
    expected = model.estimator.predict_proba(feature_frame(as_objects, model.features))
    assert np.array_equal(fast.matrix(rows, model.features), fast.matrix(as_objects, model.features), equal_nan=True)
    assert score_frame(model, rows)["Scored Probabilities"].tolist() == expected[:, 1].tolist()


@pytest.mark.parametrize("learner", ["two-class-boosted-decision-tree", "two-class-logistic-regression"])
def test_a_large_prediction_in_row_blocks_on_threads_gives_the_same_numbers(learner, settings):
    """Past 10,000 rows a worker predicts on its share of the cores as row blocks (prediction.RowBlocks),
    through the fast encoding or the fitted pipeline: the same numbers as one block."""
    model = trained(learner)
    rng = np.random.default_rng(1)
    rows = pd.DataFrame({"x": rng.normal(size=12_001), "n": rng.integers(0, 5, size=12_001).astype(float),
                         "colour": rng.choice(["red", "green", "purple", None], size=12_001),
                         "size": rng.choice(["S", "M", "XL", None], size=12_001)})
    settings.ATELIER_SCORING_THREADS = 1
    one = score_frame(model, rows)
    settings.ATELIER_SCORING_THREADS = 3
    assert isinstance(RowBlocks(model.estimator, 3).predict_proba(feature_frame(rows, model.features)), np.ndarray)
    pd.testing.assert_frame_equal(score_frame(model, rows), one)
