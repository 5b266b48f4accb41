"""Retraining web services (issue 7): a batch job that trains on new data and returns the trained model as an
`.ilearner` package and the evaluation as a table, in the workspace storage or the caller's Azure Blob storage,
for a PATCH onto an endpoint."""

from __future__ import annotations

import hashlib
import io
from typing import IO, Any

import pandas as pd

from experiments.conversion import OUTPUT_MODULE
from experiments.modules.framework.artifacts import Evaluation, TrainedModel
from experiments.modules.framework.base import ServiceRole
from experiments.modules.framework.registry import registry

from . import storage
from .batch_csv import TABLE_EXTENSIONS, arff_write, lines_checked, part_extension, text_part, typed_frame
from .scoring.scorer import ScoringError
from .scoring.wire import BadRequest

MODEL, EVALUATION, TABLE = "model", "evaluation", "table"


def output_kinds(graph: dict[str, Any]) -> dict[str, str]:
    """{output name: what reaches it}: a trained model (after Train Model), an evaluation, or a table."""
    modules = {node["id"]: node["module"] for node in graph["nodes"]}
    kinds = {}
    for node in graph["nodes"]:
        if node["module"] != OUTPUT_MODULE:
            continue
        source = next((edge["source"] for edge in graph["edges"] if edge["target"] == node["id"]), None)
        role = registry.get(modules[source]).web_service if source in modules else ""
        kinds[str(node.get("params", {}).get("name", "output1"))] = \
            MODEL if role == ServiceRole.TRAIN else EVALUATION if role == ServiceRole.EVALUATE else TABLE
    return kinds


def output_extension(kind: str) -> tuple[str, ...]:
    return (".ilearner",) if kind == MODEL else TABLE_EXTENSIONS


def trained_by(graph: dict[str, Any]) -> str | None:
    """The node whose trained model reaches a web service output (the Train Model a retraining job runs)."""
    modules = {node["id"]: node["module"] for node in graph["nodes"]}
    for node in graph["nodes"]:
        source = next((edge["source"] for edge in graph["edges"] if edge["target"] == node["id"]), None)
        if node["module"] == OUTPUT_MODULE and source in modules and \
                registry.get(modules[source]).web_service == ServiceRole.TRAIN:
            return str(source)
    return None


def content_sha256(handle: IO[bytes]) -> str:
    """The sha256 of a whole seekable input, read a block at a time; the handle is left at its start."""
    digest = hashlib.sha256()
    handle.seek(0)
    while block := handle.read(2**20):
        digest.update(block)
    handle.seek(0)
    return digest.hexdigest()


def table_file(table: Any, location: str) -> bytes:
    """A whole table in the format its location's extension names (CSV, TSV, Parquet or ARFF)."""
    if location.endswith(".arff"):
        out = io.BytesIO()
        arff_write(lambda: iter([table.frame]), out, location.rsplit("/", 1)[-1].rsplit(".", 1)[0])
        return out.getvalue()
    extension = part_extension(location)
    return bytes(table.to_parquet()) if extension == "parquet" else text_part(table.frame, extension, header=True)


def retrain(*, scorer: Any, input_schema: dict[str, list[dict[str, Any]]], inputs: dict[str, Any],
            outputs: dict[str, Any], global_parameters: dict[str, Any], model_name: str, note: dict[str, Any]) -> int:
    """Train on the whole input files (training needs every row at once) and write each output; returns the
    number of rows trained on. The model's metadata (signed with it) records `note`, its metrics and each input
    file with its sha256 (its lineage: what exactly it was trained on). Raises BadRequest for unreadable input,
    ScoringError for a failing module or an output that can't be stored (quota, a location held by another owner,
    a refused blob); StorageError for an input that can't be opened. `inputs` and `outputs` are blob.Place objects."""
    tables = {}
    rows = 0
    read = []
    for name, place in inputs.items():
        with place.open() as handle:
            read.append({"input": name, "location": place.location, "sha256": content_sha256(handle)})
            try:
                lines_checked(handle, name)
                frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
                raise BadRequest(f"Input '{name}' is not a readable CSV file: {error}", name) from None
        tables[name] = typed_frame(frame, name, input_schema[name], first_row=2)
        rows = max(rows, len(frame))
    values = scorer.values(tables, global_parameters)
    raw = {name: values[source] for name, source in scorer.output_sources.items()}
    metrics = next((value.metrics for value in raw.values() if isinstance(value, Evaluation)), {})
    for name, place in outputs.items():
        value = raw[name]
        if isinstance(value, TrainedModel):
            value.name = model_name
            value.info = {**value.info, "metrics": metrics, "trained_rows": rows, **note, "inputs": read}
            data = value.to_bytes()
        else:
            data = table_file(values[(scorer.outputs[name], "dataset")], place.location)
        try:  # the service's own file, within the workspace's quota; or the caller's blob
            place.write(io.BytesIO(data))
        except storage.StorageError as error:
            raise ScoringError(f"Output '{name}' could not be written: {error.message}", target=name) from None
    return rows
