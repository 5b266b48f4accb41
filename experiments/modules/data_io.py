"""Data Input and Output: where tables enter and leave an experiment."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from studio import outbound, storage

from .framework.base import Context, Module, ModuleError, Problem, SchemaContext, table_input
from .framework.code_forms import CodeForm, CodeNode, helper_source, python_source
from .framework.datatable import Column, DataTable, Kind, Schema
from .framework.params import Bool, Choice, Reference, Text
from .framework.ports import InputPort, OutputPort, PortType
from .framework.registry import registry
from .framework.table_files import (
    GzipDamaged,
    GzipTooLarge,
    LineInvalid,
    ParsingRules,
    csv_options,
    gunzip,
    header_fields,
    is_text,
    lines_checked,
    trimmed,
)

CATEGORY = "Data Input and Output"
MAX_IMPORT_BYTES = 500 * 1024 * 1024
# The markers a dataset upload treats as missing (experiments/datasets.py), so imports read alike.
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
BOOLEAN_WORDS = {"true": True, "false": False}


# --- Saved datasets -------------------------------------------------------------------------------


@registry.register
class Dataset(Module):
    id = "dataset"
    name = "Dataset"
    category = CATEGORY
    subcategory = "Saved Datasets"
    description = "A saved dataset: a sample that ships with Atelier or a file uploaded to the workspace."
    outputs = [OutputPort("dataset", PortType.DATA_TABLE)]
    params = {"dataset": Reference("Dataset", None, to="dataset", optional=True, help="The saved dataset to use.")}

    @classmethod
    def check_params(cls, params: Mapping[str, Any], node: str | None) -> list[Problem]:
        if params["dataset"] is None:
            where = f" (node {node})" if node else ""
            return [Problem(node, f"Choose the saved dataset of {cls.name}{where}.", parameter="dataset")]
        return []

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        if params["dataset"] is None:
            raise ModuleError("Choose a saved dataset", parameter="dataset")
        table = ctx.load("dataset", params["dataset"])
        if not isinstance(table, DataTable):
            raise ModuleError(f"Saved dataset {params['dataset']} could not be read as a table", parameter="dataset")
        return {"dataset": table}

    @classmethod
    def code_form(cls, node: CodeNode) -> CodeForm:
        """The file the dataset was read from, read again by its parsing rules (the facts: its name, file
        name and rules), as the upload did: pandas' reader with those options, then names and text trimmed."""
        dataset = node.facts["dataset"]
        rules = ParsingRules.from_json(dataset.get("parsing"))
        options = {"na_values": list(rules.missing), "keep_default_na": False, "skipinitialspace": True,
                   "decimal": rules.decimal}
        if rules.true or rules.false:
            options |= {"true_values": sorted(rules.true_words), "false_values": sorted(rules.false_words)}
        imports: set[str] = set()
        arguments = ", ".join(f"{key}={python_source(value, imports)}" for key, value in options.items())
        body = ("    separator = \"\\t\" if str(path).endswith((\".tsv\", \".tsv.gz\")) else \",\"\n"
                f"    frame = pd.read_csv(path, sep=separator, {arguments})\n"
                "    return trimmed(frame)\n")
        return CodeForm(body, ("dataset",), doc=f"The saved dataset '{dataset['name']}', read from its file.",
                        helpers=(helper_source(trimmed),), argument=dataset["file"])

    def source_fingerprint(self, params: Mapping[str, Any], ctx: Context) -> str | None:
        """None: the engine joins the saved dataset's sha256 to the cache key itself (Reference params)."""
        return None

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"dataset": ctx.dataset_schema(params["dataset"]) if params["dataset"] is not None else None}


# --- Enter Data Manually --------------------------------------------------------------------------


def numbered_columns(count: int) -> list[str]:
    """Names for columns of data without a header row, as the classic studio gave them."""
    return [f"Col{index + 1}" for index in range(count)]


def typed_text_column(values: list[str | None]) -> pd.Series:
    """Numbers become numeric, true/false booleans, anything else text; None is missing."""
    present = [value for value in values if value is not None]
    if present and all(NUMBER.match(value) for value in present):
        whole = len(present) == len(values) and all(value.lstrip("+-").isdigit() for value in present)
        return pd.to_numeric(pd.Series(values, dtype=object)).astype("int64" if whole else "float64")
    if present and all(value.lower() in BOOLEAN_WORDS for value in present):
        truth = [None if value is None else BOOLEAN_WORDS[value.lower()] for value in values]
        return pd.Series(truth, dtype="bool" if len(present) == len(values) else "boolean")
    return pd.Series(values, dtype="str")


def table_of_columns(names: list[str], columns: list[pd.Series]) -> DataTable:
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ModuleError(f"Column names must be unique; repeated: {', '.join(repeated)}", parameter="data")
    return DataTable(pd.DataFrame(dict(zip(names, columns, strict=True))))


def delimited_rows(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(first line number, stripped cells) of every non-blank record; quoted cells may span lines."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
    rows: list[tuple[int, list[str]]] = []
    line = 0
    try:
        for row in reader:
            if any(cell.strip() for cell in row) or len(row) > 1:
                rows.append((line + 1, [cell.strip() for cell in row]))
            line = reader.line_num
    except csv.Error as error:
        raise ModuleError(f"Line {reader.line_num} could not be read: {error}", parameter="data") from None
    return rows


def parse_delimited(text: str, delimiter: str, has_header: bool) -> DataTable:
    rows = delimited_rows(text, delimiter)
    if not rows:
        raise ModuleError("Enter some data: the Data parameter has no rows", parameter="data")
    width = len(rows[0][1])
    for line, cells in rows:
        if len(cells) != width:
            first = "the header" if has_header else "the first row"
            raise ModuleError(f"Line {line} has {len(cells)} value{'s' if len(cells) != 1 else ''}, but {first} "
                              f"(line {rows[0][0]}) has {width}", parameter="data")
    names = rows[0][1] if has_header else numbered_columns(width)
    if not all(names):
        raise ModuleError(f"Column {names.index('') + 1} of the header has no name", parameter="data")
    body = [cells for _, cells in rows[1:]] if has_header else [cells for _, cells in rows]
    columns = [typed_text_column([row[index] or None for row in body]) for index in range(width)]
    return table_of_columns(names, columns)


# --- Enter Data Manually: JSON lines or an array of objects ----------------------------------------


def json_items(text: str) -> list[tuple[str, Any]]:
    """(where, value) of each item of a JSON array, or of each non-blank line of JSON lines."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise ModuleError(f"The JSON array is not valid JSON: {error}", parameter="data") from None
        return [(f"Item {index} of the JSON array", item) for index, item in enumerate(items, start=1)]
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                found.append((f"Line {number}", json.loads(line)))
            except json.JSONDecodeError as error:
                raise ModuleError(f"Line {number} is not valid JSON: {error.msg}", parameter="data") from None
    return found


def json_records(text: str) -> list[dict[str, Any]]:
    records = []
    for where, item in json_items(text):
        if not isinstance(item, dict):
            raise ModuleError(f"{where} is not a JSON object", parameter="data")
        records.append(item)
    return records


def typed_json_column(values: list[Any]) -> pd.Series:
    """JSON is typed already: booleans, numbers and strings keep their type; a mix becomes text."""
    present = [value for value in values if value is not None]
    complete = len(present) == len(values)
    if present and all(isinstance(value, bool) for value in present):
        return pd.Series(values, dtype="bool" if complete else "boolean")
    if present and all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in present):
        whole = complete and all(isinstance(value, int) for value in present)
        return pd.Series(values, dtype="int64" if whole else "float64")
    text = [None if value is None else value if isinstance(value, str) else json.dumps(value) for value in values]
    return pd.Series(text, dtype="str")


def parse_json(text: str) -> DataTable:
    records = json_records(text)
    if not records:
        raise ModuleError("Enter some data: the JSON has no objects", parameter="data")
    names = list(dict.fromkeys(key for record in records for key in record))
    return table_of_columns(names, [typed_json_column([record.get(name) for record in records])
                                    for name in names])


@registry.register
class EnterDataManually(Module):
    id = "enter-data-manually"
    name = "Enter Data Manually"
    category = CATEGORY
    subcategory = "Input"
    description = "Creates a small dataset by typing or pasting values in CSV, TSV or JSON."
    version = 2
    outputs = [OutputPort("dataset", PortType.DATA_TABLE)]
    caption = ("{data_format}",)
    params = {
        "data_format": Choice("DataFormat", "CSV", choices=["CSV", "TSV", "JSON"],
                              help="JSON: one object per line, or an array of objects."),
        "has_header": Bool("HasHeader", True, help="The first line holds the column names (CSV and TSV)."),
        "data": Text("Data", "", multiline=True, help="The values, one row per line; empty cells are missing."),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        text = params["data"]
        if not text.strip():
            raise ModuleError("Enter some data: the Data parameter is empty", parameter="data")
        if params["data_format"] == "JSON":
            return {"dataset": parse_json(text)}
        delimiter = "\t" if params["data_format"] == "TSV" else ","
        return {"dataset": parse_delimited(text, delimiter, params["has_header"])}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        try:  # the data is in the parameters, so the schema is known; parsing a small text is cheap
            return {"dataset": self.execute({}, params, Context())["dataset"].schema}
        except ModuleError:
            return {"dataset": None}


# --- Import Data ----------------------------------------------------------------------------------


def workspace_location(ctx: Context, path: str, parameter: str = "path") -> tuple[str, str]:
    """(workspace id, location) of a path in the workspace's storage: the same `container/path` the storage call
    and batch jobs use (studio/storage.py holds the one rule and layout)."""
    if ctx.workspace_id is None:
        raise ModuleError("Workspace storage is only available when the experiment runs in a workspace",
                          parameter=parameter)
    try:
        return ctx.workspace_id, storage.clean_location(path)
    except storage.StorageError as error:
        name = path.strip().strip("/")
        moved = f" A file exported to '{name}' by an earlier version is now at 'storage/{name}'." \
            if name and "/" not in name and storage.SEGMENT.match(name) else ""
        raise ModuleError(error.message + moved, parameter=parameter) from None


TEXT_SEPARATORS = {"CSV": ",", "TSV": "\t"}
LENIENT_LABEL = "Pad short lines, skip long lines"


@dataclass(frozen=True)
class Imported:
    """What Import Data read: the table, and for a lenient CSV or TSV read the lines it padded or skipped, in
    words ('' when none)."""

    table: DataTable
    adjusted: str = ""


def read_table(data: bytes, data_format: str, has_header: bool, *, lenient: bool = False,
               source: str = "the imported data") -> Imported:
    """CSV/TSV/Parquet/JSON lines bytes as a table; a gzip-compressed file is unpacked first. A CSV or TSV has
    its lines checked against the header first, by the check a dataset upload makes (table_files.lines_checked):
    a line of the wrong length fails the import naming `source` and the line, unless `lenient`."""
    if data[:2] == b"\x1f\x8b":
        data = gunzipped(data)
    adjusted = ""
    try:
        if data_format == "Parquet":
            return Imported(DataTable.from_parquet(data))  # keeps the roles of a table Export Data wrote
        if data_format == "JSON lines":
            return Imported(DataTable(pd.read_json(io.BytesIO(data), lines=True)))
        separator = TEXT_SEPARATORS[data_format]
        data, adjusted = checked_lines(data, separator, has_header, lenient, source)
        frame = pd.read_csv(io.BytesIO(data), header=0 if has_header else None, index_col=False,
                            **csv_options(separator))
    except pd.errors.EmptyDataError:
        raise ModuleError("The imported data is empty", parameter="data_format") from None
    except UnicodeDecodeError:
        raise ModuleError("The imported data is not UTF-8 text", parameter="data_format") from None
    except (pd.errors.ParserError, ValueError, OSError) as error:
        raise ModuleError(f"The imported data could not be read as {data_format}: {error}",
                          parameter="data_format") from None
    if not has_header:
        frame.columns = numbered_columns(frame.shape[1])
    try:
        return Imported(DataTable(tidied(frame)), adjusted)
    except ValueError as error:
        raise ModuleError(str(error), parameter="data_format") from None


def checked_lines(data: bytes, separator: str, has_header: bool, lenient: bool, source: str) -> tuple[bytes, str]:
    """The text to read and what a lenient read changed: every line counted against the first (the header, or
    line 1 of a file without one) as an upload's are, so pandas never pads a short line or shifts a long one
    into the index silently."""
    original, corrected = io.BytesIO(data), io.BytesIO()
    reference = "the header" if has_header else "line 1"
    try:
        lines = lines_checked(original, corrected, separator, header_fields(original, separator),
                              lenient=lenient, reference=reference)
    except LineInvalid as error:
        raise ModuleError(f"Could not import {source}: {error} Every line needs one value per column (an empty "
                          f"value for a missing one); or turn on '{LENIENT_LABEL}' to pad short lines with missing "
                          "values and skip long ones.", parameter="lenient") from None
    if not lines.ragged:
        return data, ""
    return corrected.getvalue(), f"{source}: {lines.summary()}"


def gunzipped(data: bytes) -> bytes:
    unpacked = io.BytesIO()
    try:
        gunzip(io.BytesIO(data), unpacked, limit=MAX_IMPORT_BYTES)
    except GzipDamaged as error:
        raise ModuleError(f"The imported file looks compressed but could not be unpacked: {error}") from None
    except GzipTooLarge:
        raise ModuleError(f"The imported file unpacks to more than {MAX_IMPORT_BYTES // 2**20} MiB") from None
    return unpacked.getvalue()


def tidied(frame: pd.DataFrame) -> pd.DataFrame:
    """Trimmed names and text (as dataset uploads are read), and columns of true/false words as booleans."""
    frame = trimmed(frame)
    for column in frame.columns:
        if is_text(frame[column]):
            values = frame[column]
            words = values.dropna().str.lower()
            if len(words) and words.isin(list(BOOLEAN_WORDS)).all():
                truth = values.str.lower().map(BOOLEAN_WORDS)
                frame[column] = truth.astype("bool" if truth.notna().all() else "boolean")
    return frame


def download(url: str) -> bytes:
    """The body at an http(s) URL, fetched through the studio's guard (studio/outbound.py): no private,
    loopback or metadata addresses unless allowed, a size limit and an overall time limit."""
    try:
        return outbound.fetch(url, max_bytes=MAX_IMPORT_BYTES)
    except outbound.FetchError as error:
        raise ModuleError(str(error), parameter="url") from None


def read_storage(ctx: Context, path: str) -> bytes:
    """The file's bytes, read as the studio (its experiments reach every file of the workspace)."""
    workspace_id, location = workspace_location(ctx, path)
    try:
        return storage.read_bytes(workspace_id, location, limit=MAX_IMPORT_BYTES)
    except storage.StorageError as error:
        if error.status == 404:
            raise ModuleError(f"There is no file '{location}' in the workspace storage", parameter="path") from None
        raise ModuleError(f"'{location}' is larger than {MAX_IMPORT_BYTES // 2**20} MiB", parameter="path") from None


@registry.register
class ImportData(Module):
    id = "import-data"
    no_code_reason = ("it reads from a URL, a blob or a database when the run starts; the script can't promise "
                      "the same data")
    name = "Import Data"
    category = CATEGORY
    subcategory = "Input"
    description = "Loads data from a web URL over HTTP(S) or from a file in the workspace storage."
    version = 3  # 3: a CSV or TSV line of the wrong length fails the import (or is padded/skipped: lenient)
    outputs = [OutputPort("dataset", PortType.DATA_TABLE)]
    caption = ("{url}", "{path}", "{data_format}")
    params = {
        "data_source": Choice("Data source", "Web URL via HTTP", choices=["Web URL via HTTP", "Workspace storage"]),
        "url": Text("Data source URL", "", when={"data_source": ["Web URL via HTTP"]}),
        "path": Text("Path in workspace storage", "", when={"data_source": ["Workspace storage"]},
                     help="A folder and a file in the workspace's storage, e.g. exports/data.csv: the same "
                          "RelativeLocation the storage call and batch jobs use."),
        "data_format": Choice("Data format", "CSV", choices=["CSV", "TSV", "Parquet", "JSON lines"]),
        "has_header": Bool("CSV or TSV has header row", True),
        "lenient": Bool(LENIENT_LABEL, False, when={"data_format": ["CSV", "TSV"]},
                        help="Off: a CSV or TSV line with more or fewer fields than the header fails the run, "
                             "naming the line. On: short lines are padded with missing values, long lines are "
                             "left out, and the log says how many (as a lenient dataset upload does)."),
    }

    # What source_fingerprint read, for execute on the same instance (the engine calls both on a cache miss).
    source: bytes | None = None

    def source_fingerprint(self, params: Mapping[str, Any], ctx: Context) -> str | None:
        """The hash of the bytes read, on every run: a file or a URL whose content changed is imported again,
        one whose content didn't is reused from the cache (and so is everything computed from it)."""
        self.source = self.read_source(params, ctx)
        return f"sha256:{hashlib.sha256(self.source).hexdigest()}"

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        data = self.source if self.source is not None else self.read_source(params, ctx)
        self.source = None  # read once per run, not kept after it
        imported = read_table(data, params["data_format"], params["has_header"], lenient=params["lenient"],
                              source=self.source_name(params))
        if imported.adjusted:
            ctx.log(imported.adjusted)
        table = imported.table
        ctx.log(f"Imported {len(table.frame)} rows and {len(table.columns)} columns")
        return {"dataset": table}

    @staticmethod
    def source_name(params: Mapping[str, Any]) -> str:
        """The source as a message names it: the URL, or the file in the workspace storage."""
        if params["data_source"] == "Web URL via HTTP":
            return str(params["url"]).strip()
        return f"'{str(params['path']).strip().strip('/')}' in the workspace storage"

    @staticmethod
    def read_source(params: Mapping[str, Any], ctx: Context) -> bytes:
        if params["data_source"] == "Web URL via HTTP":
            return download(params["url"])
        return read_storage(ctx, params["path"])


# --- Export Data ----------------------------------------------------------------------------------


@registry.register
class ExportData(Module):
    id = "export-data"
    no_code_reason = "it writes to workspace storage, which a standalone script can't reach"
    name = "Export Data"
    category = CATEGORY
    subcategory = "Output"
    description = "Writes a dataset to the workspace storage as CSV or Parquet, and passes it on."
    side_effects = True  # the file is the point: written on every run, never skipped for a cached result
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("dataset", PortType.DATA_TABLE)]
    caption = ("{path}", "{file_format}")
    params = {
        "path": Text("Path in workspace storage", "exports/data.csv",
                     help="A folder and a file in the workspace's storage, e.g. exports/data.csv: the same "
                          "RelativeLocation the storage call and batch jobs use."),
        "file_format": Choice("File format", "CSV", choices=["CSV", "Parquet"]),
        "overwrite": Bool("Overwrite", True, help="Replace a file that already exists at the path."),
    }

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        workspace_id, location = workspace_location(ctx, params["path"])
        if not params["overwrite"] and storage.exists(workspace_id, location):
            raise ModuleError(f"'{location}' already exists and Overwrite is off", parameter="overwrite")
        data = table.frame.to_csv(index=False).encode() if params["file_format"] == "CSV" else table.to_parquet()
        try:  # recorded as the studio's, counted in the quota, listed on the Datasets page
            storage.write(workspace_id, location, io.BytesIO(data), by=storage.STUDIO)
        except storage.StorageError as error:
            raise ModuleError(error.message, parameter="path") from None
        ctx.log(f"Wrote {len(table.frame)} rows to {params['path']}")
        return {"dataset": table}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        return {"dataset": inputs.get("dataset")}


# --- Convert to CSV -------------------------------------------------------------------------------


@registry.register
class ConvertToCsv(Module):
    id = "convert-to-csv"
    name = "Convert to CSV"
    category = CATEGORY
    subcategory = "Data Format Conversions"
    description = "Converts a dataset to the text a CSV file holds: every value as written, missing as empty."
    version = 2
    inputs = [InputPort("dataset", PortType.DATA_TABLE)]
    outputs = [OutputPort("results_dataset", PortType.DATA_TABLE)]

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        table = table_input(inputs, "dataset")
        if not table.columns:
            return {"results_dataset": table}
        written = table.frame.to_csv(index=False)  # read back as text: exactly the cells of the file
        text = pd.read_csv(io.StringIO(written), dtype="str", keep_default_na=False, na_filter=False)
        text.columns = table.columns
        return {"results_dataset": table.with_frame(text)}

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        schema = inputs.get("dataset")
        return {"results_dataset": None if schema is None else
                [Column(column.name, Kind.STRING, column.role) for column in schema]}
