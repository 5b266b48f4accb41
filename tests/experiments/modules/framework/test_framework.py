"""The module framework itself: parameters, column selection, DataTable round trips, artifacts."""

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from experiments.modules.framework.artifacts import (
    ArtifactError,
    Evaluation,
    TrainedModel,
    Transform,
    transform_applier,
)
from experiments.modules.framework.columns import ColumnsNotFound, resolve_columns
from experiments.modules.framework.datatable import Column, DataTable, Kind, Role
from experiments.modules.framework.params import Bool, Choice, Columns, Float, Int, ParamInvalid, Reference, Text


@pytest.mark.parametrize("param, value, expected", [
    (Float("F", 0.5, gt=0, lt=1), 1.5, "a float in (0, 1)"),
    (Float("F", 0.5, ge=0, le=1), "x", "a float in [0, 1]"),
    (Float("F", 0.5), float("nan"), "a number"),
    (Int("I", 1, minimum=1), 0, "an integer in [1, inf)"),
    (Int("I", 1), 1.5, "an integer"),
    (Int("I", 1), True, "an integer"),
    (Bool("B", True), "maybe", "true or false"),
    (Choice("C", "a", choices=["a", "b"]), "c", "one of 'a', 'b'"),
    (Text("T", "", allow_empty=False), " ", "a non-empty text"),
    (Reference("R", None, to="trained_model"), "abc", "the id of a saved trained model"),
    (Columns("Cols"), 42, "a column selection (names, or begin_with all/none plus rules)"),
    (Columns("Cols"), {"rules": [{"by": "type", "types": ["Nope"]}]},
     "a column selection with types among String, Integer, Double, Boolean, DateTime, TimeSpan, Categorical, "
     "Numeric, All (not 'Nope')"),
])
def test_each_parameter_type_says_what_it_expected(param, value, expected):
    with pytest.raises(ParamInvalid) as raised:
        param.clean(value)
    assert str(raised.value) == expected


@pytest.mark.parametrize("param, value, cleaned", [
    (Float("F", 0.5, gt=0, lt=1), "0.25", 0.25),
    (Int("I", 1), "7", 7),
    (Int("I", 1), 3.0, 3),
    (Bool("B", True), "false", False),
    (Columns("Cols"), "a, b", {"begin_with": "none", "rules": [{"action": "include", "by": "names",
                                                                  "names": ["a", "b"]}]}),
])
def test_parameters_accept_the_forms_clients_send(param, value, cleaned):
    assert param.clean(value) == cleaned


FRAME = pd.DataFrame({"age": [39, 50], "rate": [0.5, 1.5], "city": ["Paris", "Lyon"], "ok": [True, False],
                      "income": ["<=50K", ">50K"]})
TABLE = DataTable(FRAME, {"income": Role.LABEL})


@pytest.mark.parametrize("selection, names", [
    ({"begin_with": "all", "rules": []}, ["age", "rate", "city", "ok", "income"]),
    ({"begin_with": "all", "rules": [{"action": "exclude", "by": "kind", "kinds": ["Label"]}]},
     ["age", "rate", "city", "ok"]),
    ({"begin_with": "none", "rules": [{"action": "include", "by": "type", "types": ["Numeric"]}]}, ["age", "rate"]),
    ({"begin_with": "none", "rules": [{"action": "include", "by": "type", "types": ["Integer"]}]}, ["age"]),
    ({"begin_with": "none", "rules": [{"action": "include", "by": "type", "types": ["String"]},
                                      {"action": "exclude", "by": "names", "names": ["income"]}]}, ["city"]),
    ({"begin_with": "none", "rules": [{"action": "include", "by": "names", "names": ["income", "age"]}]},
     ["age", "income"]),
])
def test_column_selector_applies_rules_in_order(selection, names):
    assert resolve_columns(Columns("c").clean(selection), TABLE.schema, TABLE.frame) == names


def test_column_selector_names_the_missing_columns():
    with pytest.raises(ColumnsNotFound) as raised:
        resolve_columns(Columns("c").clean(["age", "salary", "bonus"]), TABLE.schema)
    assert str(raised.value) == "Columns 'salary', 'bonus' not found in the input (it has 5 columns)"


def test_datatable_round_trips_through_parquet_with_roles_and_kinds():
    back = DataTable.from_parquet(TABLE.to_parquet())
    pd.testing.assert_frame_equal(back.frame, TABLE.frame, check_dtype=False)
    assert back.schema == [Column("age", Kind.NUMERIC), Column("rate", Kind.NUMERIC), Column("city", Kind.STRING),
                           Column("ok", Kind.BOOLEAN), Column("income", Kind.STRING, Role.LABEL)]
    assert back.label_column() == "income"


def test_datatable_refuses_repeated_column_names():
    with pytest.raises(ValueError, match="repeated: a"):
        DataTable(pd.DataFrame([[1, 2]], columns=["a", "a"]))


def test_trained_model_package_round_trips_and_detects_tampering():
    estimator = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    model = TrainedModel("two-class-logistic-regression", "binary", estimator, [Column("x", Kind.NUMERIC)], "y",
                         [0, 1])
    data = model.to_bytes()
    back = TrainedModel.from_bytes(data)
    assert back.estimator.predict([[3.0]]).tolist() == [1]
    assert (back.features, back.label, back.classes) == (model.features, "y", [0, 1])
    with pytest.raises(ArtifactError, match="Not a trained model package"):
        TrainedModel.from_bytes(b"garbage")
    with zipfile.ZipFile(io.BytesIO(data)) as original, zipfile.ZipFile(buffer := io.BytesIO(), "w") as altered:
        for name in original.namelist():
            content = original.read(name)
            altered.writestr(name, content.replace(b'"label": "y"', b'"label": "z"'))
    with pytest.raises(ArtifactError, match="checksum does not match"):
        TrainedModel.from_bytes(buffer.getvalue())


def test_transform_applies_through_its_registered_applier():
    @transform_applier("test-add-one")
    def add_one(table, state):
        return table.with_frame(table.frame + state["amount"])

    transform = Transform.from_json(Transform("test-add-one", {"amount": 1}).to_json())
    assert transform.apply(DataTable(pd.DataFrame({"a": [1]}))).frame["a"].tolist() == [2]
    with pytest.raises(ArtifactError, match="Unknown transform kind 'nope'"):
        Transform("nope", {}).apply(DataTable(pd.DataFrame({"a": [1]})))


def test_evaluation_round_trips_with_a_compared_evaluation():
    evaluation = Evaluation("binary", {"AUC": 0.9}, compared=Evaluation("binary", {"AUC": 0.8}))
    assert Evaluation.from_json(evaluation.to_json()).compared.metrics == {"AUC": 0.8}
