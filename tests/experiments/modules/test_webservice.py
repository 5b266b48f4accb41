"""Web service input and output, and the sources of saved trained models and transforms."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from experiments.modules.framework.artifacts import Transform
from experiments.modules.framework.base import Context, ModuleError, SchemaContext
from experiments.modules.framework.datatable import DataTable, Role
from experiments.modules.framework.ports import PortType
from experiments.modules.webservice import TrainedModelSource, TransformSource, WebServiceInput, WebServiceOutput


def run(cls: Any, inputs: dict[str, Any], ctx: Context | None = None, **raw: Any) -> dict[str, Any]:
    params, problems = cls.clean_params(raw)
    assert not problems, problems
    return cls().execute(inputs, params, ctx or Context())


def sample() -> DataTable:
    return DataTable(pd.DataFrame({"a": [1, 2], "y": ["p", "q"]}), {"y": Role.LABEL})


def test_web_service_input_passes_the_sample_data_through():
    table = sample()
    assert run(WebServiceInput, {"dataset": table})["dataset"] is table
    params, _ = WebServiceInput.clean_params({})
    assert params == {"name": "input1"}
    assert WebServiceInput().infer_schema({"dataset": table.schema}, params, SchemaContext()) == {
        "dataset": table.schema}


def test_web_service_input_without_sample_data_is_an_empty_table():
    empty = run(WebServiceInput, {})["dataset"]
    assert isinstance(empty, DataTable) and empty.columns == [] and len(empty.frame) == 0
    assert [port.optional for port in WebServiceInput.inputs] == [True]


def test_web_service_output_passes_its_input_through_and_needs_one():
    table = sample()
    assert run(WebServiceOutput, {"dataset": table}, name="scores")["dataset"] is table
    with pytest.raises(ModuleError, match="needs a dataset"):
        run(WebServiceOutput, {})


def test_web_service_output_turns_a_model_or_an_evaluation_into_a_one_row_table():
    from experiments.modules.framework.artifacts import Evaluation

    evaluation = Evaluation(task="binary", metrics={"AUC": 0.9, "Accuracy": 0.8})
    assert run(WebServiceOutput, {"dataset": evaluation})["dataset"].frame.to_dict("records") == [
        {"AUC": 0.9, "Accuracy": 0.8}]
    from tests.experiments.modules.test_contract import trained

    model = trained()
    described = run(WebServiceOutput, {"dataset": model})["dataset"].frame
    assert list(described.columns) == ["Learner", "Task", "Label", "Features"]
    assert described.loc[0, "Label"] == model.label


def test_web_service_names_must_not_be_empty():
    _, problems = WebServiceOutput.clean_params({"name": ""}, "n1")
    assert [p.message for p in problems] == [
        "The 'Name' parameter of Web service output (node n1) must be a non-empty text; got ''."]


def test_saved_sources_load_the_object_they_name():
    transform = Transform("normalize-data", {"columns": {}})
    loaded: list[tuple[str, int]] = []

    def loader(kind: str, value: Any) -> Any:
        def load(object_id: int) -> Any:
            loaded.append((kind, object_id))
            return value
        return load

    ctx = Context(loaders={"transform": loader("transform", transform), "trained_model": loader("model", "M")})
    assert run(TransformSource, {}, ctx, transform=7)["transformation"] is transform
    assert run(TrainedModelSource, {}, ctx, trained_model="12")["trained_model"] == "M"
    assert loaded == [("transform", 7), ("model", 12)]
    assert [port.type for port in TransformSource.outputs] == [PortType.TRANSFORM]
    assert [port.type for port in TrainedModelSource.outputs] == [PortType.TRAINED_MODEL]
    assert TransformSource.inputs == [] and TrainedModelSource.inputs == []


def test_saved_sources_need_a_choice_and_a_valid_id():
    with pytest.raises(ModuleError, match="Choose the saved trained model") as error:
        run(TrainedModelSource, {})
    assert error.value.parameter == "trained_model"
    _, problems = TransformSource.clean_params({"transform": "abc"}, "n1")
    assert [p.message for p in problems] == [
        "The 'Transform' parameter of Transform (node n1) must be the id of a saved transform; got 'abc'."]
