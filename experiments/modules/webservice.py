"""Web Service: the input and output of a published experiment, and sources of saved models and transforms.

In the studio, Web service input passes through the sample data connected to it (or an empty table);
when the experiment serves requests, the request's data takes its place (see webservices/scoring/scorer.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .framework.artifacts import Evaluation, TrainedModel
from .framework.base import Context, Module, ModuleError, SchemaContext
from .framework.datatable import DataTable, Schema
from .framework.params import Reference, Text
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry
from .framework.rows import RowKernel, rows_input

CATEGORY = "Web Service"


@registry.register
class WebServiceInput(Module):
    id = "web-service-input"
    name = "Web service input"
    category = CATEGORY
    description = "Indicates where user data enters the experiment when it runs as a web service."
    inputs = [InputPort("dataset", PortType.DATA_TABLE, optional=True, label="sample data")]
    outputs = [OutputPort("dataset", PortType.DATA_TABLE)]
    caption = ("{name}",)
    params = {"name": Text("Name", "input1", allow_empty=False, help="The input's name in requests.")}

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        sample = inputs.get("dataset")
        return {"dataset": sample if isinstance(sample, DataTable) else DataTable(pd.DataFrame())}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"dataset": inputs.get("dataset")}


@registry.register
class WebServiceOutput(Module):
    id = "web-service-output"
    name = "Web service output"
    category = CATEGORY
    description = ("Indicates where data is returned to the user when the experiment runs as a web service: "
                   "a dataset, or for a retraining service a trained model or evaluation results.")
    inputs = [InputPort("dataset", PortType.ANY, label="dataset, trained model or evaluation")]
    outputs = [OutputPort("dataset", PortType.DATA_TABLE)]
    caption = ("{name}",)
    params = {"name": Text("Name", "output1", allow_empty=False, help="The output's name in responses.")}

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        """A table passes through; an evaluation becomes its metrics (one row, the service's CSV) and a trained
        model a one-row description (the model itself is returned as a file by the retraining job)."""
        value = inputs.get("dataset")
        if isinstance(value, DataTable):
            return {"dataset": value}
        if isinstance(value, Evaluation):
            return {"dataset": DataTable(pd.DataFrame([value.metrics]))}
        if isinstance(value, TrainedModel):
            return {"dataset": DataTable(pd.DataFrame([{
                "Learner": value.learner, "Task": value.task, "Label": value.label,
                "Features": ", ".join(column.name for column in value.features)}]))}
        raise ModuleError("Web service output needs a dataset, trained model or evaluation on its input")

    def row_kernel(self, params: Mapping[str, Any], constants: Mapping[str, Any]) -> RowKernel | None:
        return lambda inputs: {"dataset": rows_input(inputs, "dataset")}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"dataset": inputs.get("dataset")}


class SavedSource(Module):
    """A node that brings a saved object (by id) onto the canvas."""

    category = CATEGORY
    kind: str
    port: str

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        key = next(iter(self.params))
        if params[key] is None:
            raise ModuleError(f"Choose the saved {self.kind.replace('_', ' ')}", parameter=key)
        return {self.port: ctx.load(self.kind, params[key])}


@registry.register
class TrainedModelSource(SavedSource):
    id = "trained-model"
    no_code_reason = ("it is a model trained in another run, not code: export the training experiment this one was "
                      "set up from as a script, or this one as an MLflow model")
    name = "Trained Model"
    description = "A trained model saved from an experiment, used as it is (Set Up Web Service puts one in place)."
    outputs = [OutputPort("trained_model", PortType.TRAINED_MODEL)]
    params = {"trained_model": Reference("Trained model", None, to="trained_model", optional=True)}
    kind, port = "trained_model", "trained_model"


@registry.register
class TransformSource(SavedSource):
    id = "transform"
    no_code_reason = ("it is a transformation learned in another run, not code: export the training experiment "
                      "this one was set up from as a script, or this one as an MLflow model")
    name = "Transform"
    description = "A transformation saved from an experiment (cleaning, scaling, binning), to apply to new data."
    outputs = [OutputPort("transformation", PortType.TRANSFORM)]
    params = {"transform": Reference("Transform", None, to="transform", optional=True)}
    kind, port = "transform", "transformation"
