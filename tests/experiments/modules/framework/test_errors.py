"""The module library's errors share the studio's one error base and keep the bases their callers catch."""

import pickle

import pytest

from experiments.modules.framework.base import ModuleError
from experiments.modules.framework.columns import ColumnsNotFound
from experiments.modules.framework.ilearner import ArtifactError
from experiments.modules.framework.params import ParamInvalid
from experiments.modules.framework.registry import UnknownModule, registry
from experiments.modules.metadata import BadValue
from studio.errors import AtelierError


@pytest.mark.parametrize(("error", "base", "code"), [
    (ModuleError("Column 'age' is not numeric"), Exception, "module-failed"),
    (ParamInvalid("a float in (0, 1)"), ValueError, "invalid-parameter"),
    (ArtifactError("Not a trained model package"), ValueError, "invalid-artifact"),
    (ColumnsNotFound(["age"], ["income"]), LookupError, "columns-not-found"),
    (BadValue("abc"), ValueError, "invalid-value"),
    (UnknownModule("There is no module 'nope'"), LookupError, "unknown-module"),
])
def test_each_error_is_an_atelier_error_with_its_old_base_and_message(error, base, code):
    assert isinstance(error, AtelierError) and isinstance(error, base)
    assert (error.code, error.status) == (code, 400)
    assert str(error) == error.message == error.args[0]


def test_a_module_error_targets_its_parameter_or_column_and_survives_pickling():
    error = ModuleError("Column 'age' is not numeric", parameter="columns", column="age")
    assert (error.target, error.parameter, error.column) == ("columns", "columns", "age")
    assert ModuleError("No column", column="age").target == "age"
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 - bytes this test just wrote
    assert (str(again), again.parameter, again.column) == (str(error), "columns", "age")


def test_the_messages_are_unchanged():
    assert str(ColumnsNotFound(["a", "b"], ["c"])) == "Columns 'a', 'b' not found in the input (it has 1 columns)"
    assert str(ColumnsNotFound(["Age", "b"], ["age", "c"])) == ("Columns 'Age', 'b' not found in the input (it has 2 "
                                                               "columns); the input has 'age' (column names are "
                                                               "case-sensitive)")
    assert str(BadValue("x")) == "'x'"
    with pytest.raises(UnknownModule, match="There is no module 'nope'"):
        registry.get("nope")
