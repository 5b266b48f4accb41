"""The exact allow-list of model types (experiments/modules/framework/model_types.py), held against what the
studio writes.

Every learner of the catalogue, in every variant of its parameters, is trained by Train Model (or its
clustering and anomaly counterparts) on numbers and text, packaged, and loaded back as a package from outside
the studio is: signature required, every type checked against the allow-list. A learner added without its
types, or a scikit-learn upgrade that puts a new object inside a fitted estimator, fails here, not in a user's
Update Resource.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from experiments.modules import learners
from experiments.modules.framework.artifacts import TrainedModel, UntrainedModel
from experiments.modules.framework.base import Context
from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.model_types import trusted_types, variants
from experiments.modules.framework.registry import registry
from experiments.modules.prediction import score_frame
from experiments.modules.training import feature_columns, fit, train_supervised

LEARNERS = [cls for cls in registry.all() if isinstance(cls, type) and issubclass(cls, learners.Learner)]
BUILT = [cls for cls in LEARNERS if not cls.inputs]  # One-vs-All wraps the others (below)
CASES = [(cls, params) for cls in BUILT for params in variants(cls)]
LABELS = {"binary": ["no", "yes"], "multiclass": ["red", "green", "blue"]}
QUICK = {"number_of_trees_constructed": 5, "number_of_learning_iterations": 5, "number_of_decision_trees": 3}


def table(task: str, rows: int = 60, seed: int = 0) -> tuple[DataTable, str | None]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=rows), "y": rng.normal(size=rows),
                          "kind": rng.choice(["a", "b", "c"], size=rows)})
    if task in LABELS:
        frame["label"] = np.resize(LABELS[task], rows)
    elif task == "regression":
        frame["label"] = rng.integers(0, 9, size=rows).astype(float)  # counts, so Poisson Regression fits too
    return DataTable(frame), ("label" if "label" in frame else None)


def trained(untrained: UntrainedModel, data: DataTable, label: str | None) -> TrainedModel:
    if label is not None:
        return train_supervised(untrained, data, label, Context())
    return fit(untrained, feature_columns(data), data.frame, None, Context())


def round_trip(model: TrainedModel, data: DataTable) -> None:
    back = TrainedModel.from_bytes(model.to_bytes(), require_signature=True)
    untrusted = set(sio.get_untrusted_types(data=sio.dumps(back.estimator)))
    assert untrusted <= trusted_types()
    pd.testing.assert_frame_equal(score_frame(back, data.frame), score_frame(model, data.frame))


def case_id(case: Any) -> str:
    cls, params = case
    changed = {key: value for key, value in params.items() if value != cls.clean_params({})[0].get(key)}
    return f"{cls.id}[{','.join(f'{key}={value}' for key, value in changed.items()) or 'defaults'}]"


def test_every_learner_of_the_catalogue_is_covered():
    assert {cls.id for cls in BUILT} | {"one-vs-all-multiclass"} == {cls.id for cls in LEARNERS}
    assert len(CASES) > 2 * len(BUILT)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_each_learner_variant_round_trips_through_a_signed_package_under_the_allow_list(case):
    cls, params = case
    data, label = table(cls.task)
    untrained = UntrainedModel(cls.id, cls.task, {**params, **{k: v for k, v in QUICK.items() if k in params}},
                               cls.name)
    round_trip(trained(untrained, data, label), data)


@pytest.mark.parametrize("cls", [cls for cls in BUILT if cls.task == "binary"], ids=lambda cls: cls.id)
def test_one_vs_all_around_each_two_class_learner_round_trips(cls):
    binary = UntrainedModel(cls.id, cls.task, {**cls.clean_params({})[0], **{k: v for k, v in QUICK.items()
                                                                             if k in cls.params}}, cls.name)
    wrapper = registry.get("one-vs-all-multiclass")
    untrained = wrapper().execute({"untrained_model": binary}, {}, Context())["untrained_model"]
    data, label = table("multiclass")
    round_trip(trained(untrained, data, label), data)


@pytest.mark.parametrize("labels", [[0, 1], [True, False], [1.0, 2.0]], ids=["ints", "booleans", "floats"])
def test_labels_of_any_kind_round_trip(labels):
    data, _ = table("binary")
    data = DataTable(data.frame.assign(label=np.resize(labels, len(data.frame))))
    for learner in ("two-class-boosted-decision-tree", "two-class-decision-forest", "two-class-neural-network"):
        cls = registry.get(learner)
        params = {**cls.clean_params({})[0], **{k: v for k, v in QUICK.items() if k in cls.params}}
        round_trip(trained(UntrainedModel(learner, "binary", params, cls.name), data, "label"), data)


def test_the_allow_list_holds_no_callable_the_studio_does_not_write():
    names = trusted_types()
    assert "builtins.exec" not in names and "builtins.eval" not in names and "functools.partial" not in names
    assert not any(name.startswith(("operator.", "_operator.", "os.", "subprocess.", "posix.")) for name in names)
    assert "experiments.modules.training.first_rows_as_centroids" in names  # K-Means "First N": a studio function
