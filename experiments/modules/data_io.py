"""Data Input and Output: where tables enter and leave an experiment."""

from __future__ import annotations

import io
import json
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from .base import Context, Module, ModuleError, Problem, SchemaContext, table_input
from .datatable import DataTable, Schema
from .params import Bool, Choice, Reference, Text
from .ports import InputPort, OutputPort, PortType
from .registry import registry

CATEGORY = "Data Input and Output"
MAX_IMPORT_BYTES = 500 * 1024 * 1024
IMPORT_TIMEOUT_SECONDS = 30
MISSING = ["", "?", "NA", "N/A", "NaN", "nan", "null", "NULL"]


def parse_text_table(data: bytes, data_format: str, has_header: bool = True) -> pd.DataFrame:
    """CSV/TSV/JSON lines/Parquet bytes as a frame; errors name the line where reading failed."""
    try:
        if data_format == "Parquet":
            return pd.read_parquet(io.BytesIO(data))
        if data_format in ("JSON", "JSON lines"):
            return _read_json(data)
        separator = "\t" if data_format == "TSV" else ","
        return pd.read_csv(io.BytesIO(data), sep=separator, header=0 if has_header else None, na_values=MISSING,
                           keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise ModuleError("The data is empty") from None
    except pd.errors.ParserError as error:
        raise ModuleError(f"The data could not be read as {data_format}: {error}") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise ModuleError(f"The data could not be read as {data_format}: {error}") from None


def _read_json(data: bytes) -> pd.DataFrame:
    text = data.decode("utf-8").strip()
    if text.startswith("["):
        return pd.DataFrame(json.loads(text))
    return pd.read_json(io.StringIO(text), lines=True)


def workspace_path(ctx: Context, path: str) -> str:
    """A path inside the workspace's storage; refuses anything that could step outside it."""
    parts = [part for part in path.replace("\\", "/").split("/") if part not in ("", ".")]
    if not parts or path.startswith("/") or ".." in parts:
        raise ModuleError(f"'{path}' is not a path inside the workspace storage", parameter="path")
    return f"workspaces/{ctx.workspace_id}/storage/{'/'.join(parts)}"


def frame_kinds(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of text that are all true/false become booleans, as the classic type guessing did."""
    for column in frame.columns:
        values = frame[column].dropna()
        if len(values) and values.map(lambda v: isinstance(v, str) and v.lower() in ("true", "false")).all():
            frame[column] = frame[column].map(lambda v: None if pd.isna(v) else v.lower() == "true").astype("boolean")
    return frame


@registry.register
class Dataset(Module):
    name = "Dataset"
    category = CATEGORY
    subcategory = "Saved Datasets"
    description = "A saved dataset: a sample that ships with Atelier or a file uploaded to the workspace."
    outputs = [OutputPort("dataset", PortType.DATA_TABLE)]
    params = {"dataset": Reference("Dataset", None, to="dataset", optional=True, help="The saved dataset to use.")}

    @classmethod
    def check_params(cls, params: Mapping[str, Any], node: str | None) -> list[Problem]:
        if params["dataset"] is None:
            return [Problem(node, f"Choose the saved dataset of {cls.name} (node {node}).", parameter="dataset")]
        return []

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        if params["dataset"] is None:
            raise ModuleError("Choose a saved dataset", parameter="dataset")
        return {"dataset": ctx.load("dataset", params["dataset"])}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"dataset": ctx.dataset_schema(params["dataset"]) if params["dataset"] is not None else None}


@registry.register
class EnterDataManually(Module):
    name = "Enter Data Manually"
    category = CATEGORY
    subcategory = "Input"
    description = "Creates a small dataset by typing or pasting values in CSV, TSV or JSON."
    outputs = [OutputPort("dataset", PortType.DATA_TABLE)]
    params = {
        "data_format": Choice("DataFormat", "CSV", choices=["CSV", "TSV", "JSON"]),
        "has_header": Bool("HasHeader", True, help="The first line holds the column names (CSV and TSV)."),
        "data": Text("Data", "", multiline=True, help="The values, one row per line."),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        if not params["data"].strip():
            raise ModuleError("Enter some data: the Data parameter is empty", parameter="data")
        frame = parse_text_table(params["data"].encode(), params["data_format"], params["has_header"])
        if not params["has_header"]:
            frame.columns = [f"Col{index + 1}" for index in range(frame.shape[1])]
        return {"dataset": DataTable(frame_kinds(frame))}


@registry.register
class ImportData(Module):
    name = "Import Data"
    category = CATEGORY
    subcategory = "Input"
    description = "Loads data from a web URL over HTTP(S) or from a file in the workspace storage."
    outputs = [OutputPort("dataset", PortType.DATA_TABLE)]
    params = {
        "data_source": Choice("Data source", "Web URL via HTTP", choices=["Web URL via HTTP", "Workspace storage"]),
        "url": Text("Data source URL", "", when={"data_source": ["Web URL via HTTP"]}),
        "path": Text("Path in workspace storage", "", when={"data_source": ["Workspace storage"]}),
        "data_format": Choice("Data format", "CSV", choices=["CSV", "TSV", "Parquet", "JSON lines"]),
        "has_header": Bool("CSV or TSV has header row", True),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        data = self.from_url(params["url"]) if params["data_source"] == "Web URL via HTTP" \
            else self.from_storage(ctx, params["path"])
        frame = parse_text_table(data, params["data_format"], params["has_header"])
        if not params["has_header"]:
            frame.columns = [f"Col{index + 1}" for index in range(frame.shape[1])]
        return {"dataset": DataTable(frame)}

    @staticmethod
    def from_url(url: str) -> bytes:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ModuleError(f"Import Data reads http:// or https:// URLs; got '{url}'", parameter="url")
        try:
            with urllib.request.urlopen(url, timeout=IMPORT_TIMEOUT_SECONDS) as response:  # noqa: S310
                data = response.read(MAX_IMPORT_BYTES + 1)
        except OSError as error:
            raise ModuleError(f"Could not download {url}: {error}", parameter="url") from None
        if len(data) > MAX_IMPORT_BYTES:
            raise ModuleError(f"{url} is larger than {MAX_IMPORT_BYTES // 2**20} MiB", parameter="url")
        return bytes(data)

    @staticmethod
    def from_storage(ctx: Context, path: str) -> bytes:
        location = workspace_path(ctx, path)
        if not default_storage.exists(location):
            raise ModuleError(f"There is no file '{path}' in the workspace storage", parameter="path")
        with default_storage.open(location, "rb") as handle:
            return bytes(handle.read())


@registry.register
class ExportData(Module):
    name = "Export Data"
    category = CATEGORY
    subcategory = "Output"
    description = "Writes a dataset to the workspace storage as CSV or Parquet, and passes it on."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("dataset", PortType.DATA_TABLE)]
    params = {
        "path": Text("Path in workspace storage", "exports/data.csv"),
        "file_format": Choice("File format", "CSV", choices=["CSV", "Parquet"]),
        "overwrite": Bool("Overwrite", True),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        location = workspace_path(ctx, params["path"])
        if default_storage.exists(location):
            if not params["overwrite"]:
                raise ModuleError(f"'{params['path']}' exists and Overwrite is off", parameter="path")
            default_storage.delete(location)
        data = table.frame.to_csv(index=False).encode() if params["file_format"] == "CSV" else table.to_parquet()
        default_storage.save(location, ContentFile(data))
        return {"dataset": table}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"dataset": inputs.get("dataset")}


@registry.register
class ConvertToCsv(Module):
    name = "Convert to CSV"
    category = CATEGORY
    subcategory = "Data Format Conversions"
    description = "Converts a dataset to the text a CSV file holds, so it can be downloaded or exported as is."
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        text = pd.read_csv(io.StringIO(table.frame.to_csv(index=False)), dtype=str, keep_default_na=False)
        return {"results_dataset": DataTable(text.astype(object), table.roles)}
