"""Reading an uploaded file (CSV, TSV, Parquet, JSON lines, optionally gzipped) into a dataset's Parquet file
with bounded memory (issue 14, finding 5: a 324 MB CSV read whole took 2.1 GB and failed with MemoryError).

The file is read from disk in chunks of about ATELIER_UPLOAD_CHUNK_CELLS cells, twice: the first pass
checks the limits and learns each column's type from every chunk as pandas infers it (the same reader and
options as always, so a file gets the kinds it got when it was read whole); the second pass writes the
chunks with those types through one Parquet writer. A column that reads as numbers in one chunk and as
text in another is re-read as text, as a whole-file read would have it. No more than one chunk is ever held.

Before either pass a CSV's lines are counted against the header (table_files.lines_checked, issue 18 item 3,
the check Import Data makes too): a line with more or fewer fields is refused naming the line, unless the
upload asked to be lenient; then short lines are padded with missing values and long lines skipped, in a
corrected copy, and the counts reported.
The cells are read by the upload's ParsingRules (missing markers, decimal separator, true/false words), which
the dataset records.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

from .modules.framework.datatable import METADATA_KEY, DataTable, Role
from .modules.framework.table_files import (
    BLOCK,
    GzipDamaged,
    GzipTooLarge,
    LineInvalid,
    Lines,
    ParsingRules,
    RulesInvalid,
    csv_options,
    gunzip,
    header_fields,
    lines_checked,
    trimmed,
)

MAX_UPLOAD_BYTES = 512 * 1024 * 1024
MAX_CELL_CHARS = 1024 * 1024


class DatasetError(ValueError):
    """An upload that can't become a dataset; the message says why, naming the line or column (`line`, the
    file's line, 1-based with the header as line 1, when one line is at fault)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Reader:
    """The file's chunks as pandas reads them; a CSV's reader can be told to read some columns as text."""

    chunks: Callable[[set[str]], Iterator[pd.DataFrame]]
    reads_as_text: bool = False


SEPARATORS = {",": ",", ";": ";", "tab": "\t", "\t": "\t"}


@dataclass(frozen=True)
class UploadOptions:
    """How to read an upload: the parsing rules (recorded with the dataset), the field separator (None: by the
    file name, tab for .tsv/.tab, else comma) and whether lines of the wrong length are padded or skipped
    (lenient) instead of refused."""

    rules: ParsingRules = field(default_factory=ParsingRules)
    separator: str | None = None
    lenient: bool = False

    @classmethod
    def of(cls, *, missing: str | list[str] | None = None, decimal: str | None = None,
           true: str | list[str] | None = None, false: str | list[str] | None = None,
           separator: str | None = None, lenient: bool = False) -> UploadOptions:
        """From the upload form or API; a bad option is a DatasetError naming it."""
        if separator and separator not in SEPARATORS:
            raise DatasetError(f"The separator must be ',', ';' or 'tab'; got {separator!r}.")
        try:
            rules = ParsingRules.of(missing=missing, decimal=decimal, true=true, false=false)
        except RulesInvalid as error:
            raise DatasetError(str(error)) from None
        return cls(rules, SEPARATORS[separator] if separator else None, lenient)

    def separator_for(self, name: str) -> str:
        return self.separator or ("\t" if name.endswith((".tsv", ".tab")) else ",")

    def record(self, lines: Lines | None) -> dict[str, object]:
        """What the dataset records (Dataset.parsing): the rules, and for a lenient read what it changed."""
        record: dict[str, object] = {**self.rules.as_json(), "lenient": self.lenient}
        if self.separator:
            record["separator"] = self.separator
        if self.lenient and lines is not None:
            record.update(lines.as_json())
        return record


@dataclass(frozen=True)
class Parsed:
    """An upload written as a local Parquet file, with what the dataset record needs: the parsing record
    (the rules, and the lines a lenient read padded or skipped) and the line that says what was changed."""

    path: Path
    rows: int
    columns: list[dict[str, str]]
    parsing: dict[str, object] = field(default_factory=dict)
    adjusted: str = ""


def parse_upload(source: Path | IO[bytes], filename: str, workdir: Path,
                 roles: dict[str, Role] | None = None, options: UploadOptions | None = None) -> Parsed:
    """Read `source` (a file on disk, or an open binary file) into `workdir`/table.parquet."""
    options = options or UploadOptions()
    path = source if isinstance(source, Path) else _on_disk(source, workdir / "upload")
    name = filename.lower()
    if name.endswith(".gz"):
        path, name = _gunzip(path, workdir / "unpacked"), name[:-3]
    lines = None
    try:
        if _is_text_table(name):
            path, lines = _lines_checked(path, options.separator_for(name), options.lenient, workdir)
        reader = _reader(path, name, options)
        parsed = _write(reader, _survey(reader), workdir / "table.parquet", roles or {})
    except UnicodeDecodeError:
        raise DatasetError("The file is not UTF-8 text; save it as UTF-8 and upload it again.") from None
    except (pd.errors.ParserError, ValueError, pa.ArrowException) as error:
        if isinstance(error, DatasetError):
            raise
        raise DatasetError(f"The file could not be read as a table: {error}") from None
    adjusted = lines.summary() if lines is not None and lines.ragged else ""
    return replace(parsed, parsing=options.record(lines), adjusted=adjusted)


def _is_text_table(name: str) -> bool:
    return not name.endswith((".parquet", ".jsonl", ".json", ".ndjson"))


def _lines_checked(path: Path, separator: str, lenient: bool, workdir: Path) -> tuple[Path, Lines]:
    """The file to read and what its lines held: refused at the first line of the wrong length, or (lenient) a
    corrected copy when there are such lines."""
    header = _columns_within_limit(header_fields(str(path), separator))
    corrected = workdir / "lenient.csv"
    try:
        lines = lines_checked(str(path), str(corrected), separator, header, lenient=lenient)
    except LineInvalid as error:
        raise DatasetError(f"{error} Every line needs one value per column (an empty value for a missing "
                           "one); or upload it with 'lenient' to pad short lines and skip long ones.",
                           line=error.line) from None
    return (corrected if lines.ragged else path), lines


def _on_disk(source: IO[bytes], target: Path) -> Path:
    """Where the upload is: Django keeps a large one in a temporary file; a small one is written out."""
    temporary = getattr(source, "temporary_file_path", None)
    if temporary is not None:
        return Path(temporary())
    source.seek(0)
    with open(target, "wb") as handle:
        shutil.copyfileobj(source, handle, BLOCK)
    return target


def _gunzip(source: Path, target: Path) -> Path:
    """Unpack to disk, refusing past MAX_UPLOAD_BYTES (a gzip bomb stops there)."""
    try:
        with open(source, "rb") as packed, open(target, "wb") as out:
            gunzip(packed, out, limit=MAX_UPLOAD_BYTES)
    except GzipTooLarge:
        raise DatasetError(f"The file unpacks to more than {MAX_UPLOAD_BYTES // 2**20} MiB.") from None
    except GzipDamaged as error:
        raise DatasetError(f"The file is named .gz but is not a gzip file, or is damaged: {error}.") from None
    return target


# --- Reading in chunks ---------------------------------------------------------------------------------


def _reader(path: Path, name: str, options: UploadOptions) -> Reader:
    per_chunk = settings.ATELIER_UPLOAD_CHUNK_CELLS
    if name.endswith(".parquet"):
        rows = max(1, per_chunk // _columns_within_limit(_parquet_columns(path)))
        return Reader(lambda texts: (b.to_pandas() for b in pq.ParquetFile(path).iter_batches(batch_size=rows)))
    if name.endswith((".jsonl", ".json", ".ndjson")):
        rows = max(1, per_chunk // _columns_within_limit(_json_line_keys(path)))
        return Reader(lambda texts: iter(pd.read_json(path, lines=True, chunksize=rows, encoding="utf-8")))
    separator = options.separator_for(name)
    rows = max(1, per_chunk // _columns_within_limit(header_fields(str(path), separator)))
    try:
        read = csv_options(separator, options.rules)
    except RulesInvalid as error:
        raise DatasetError(str(error)) from None
    return Reader(lambda texts: iter(pd.read_csv(path, chunksize=rows, dtype=dict.fromkeys(texts, "str") or None,
                                                 index_col=False, **read)), reads_as_text=True)


@dataclass
class Survey:
    """What the first pass learned: the unified schema, the columns to read as text on the second pass (as
    the reader names them), the rows, and the columns with missing values (trimmed names)."""

    schema: pa.Schema
    texts: set[str]
    rows: int
    gaps: set[str]


def _survey(reader: Reader) -> Survey:
    """First pass: every limit checked, each column's type unified over all chunks."""
    names: list[str] = []
    types: dict[str, pa.DataType] = {}
    texts: set[str] = set()
    gaps: set[str] = set()
    rows = 0
    for chunk in reader.chunks(set()):
        names = names or [str(column) for column in chunk.columns]
        _within_limits(chunk, rows)
        for column, kind in _chunk_types(chunk).items():
            unified = _unify(types.get(column, pa.null()), kind)
            if unified is None:
                texts.add(column)
            types[column] = pa.large_string() if column in texts else unified  # type: ignore[assignment]
        gaps.update(str(column).strip() for column in chunk.columns[chunk.isna().any().to_numpy()])
        rows += len(chunk)
    if not names:
        raise DatasetError("The file has no columns.")
    if rows == 0:
        raise DatasetError("The file has a header but no rows.")
    if texts and not reader.reads_as_text:
        raise DatasetError(f"Column '{sorted(texts)[0].strip()}' holds text in some rows and numbers or booleans "
                           "in others; make every value of it one kind.")
    # a column with no value at all is numbers, as pandas reads it (null can't take the chunks' float64 NaN)
    schema = pa.schema([(name.strip(), pa.float64() if pa.types.is_null(types[name]) else types[name])
                        for name in names])
    try:
        DataTable(schema.empty_table().to_pandas())  # the names must be unique once trimmed
    except ValueError as error:
        raise DatasetError(str(error)) from None
    return Survey(schema, texts, rows, gaps)


def _chunk_types(chunk: pd.DataFrame) -> dict[str, pa.DataType]:
    found = {}
    for column in map(str, chunk.columns):
        series = chunk[column]
        if series.isna().all():
            found[column] = pa.null()
            continue
        try:
            found[column] = pa.Array.from_pandas(series).type
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            raise DatasetError(f"Column '{column.strip()}' mixes text and numbers in a way that can't be stored; "
                               "make every value of it one kind.") from None
    return found


def _unify(known: pa.DataType, new: pa.DataType) -> pa.DataType | None:
    """The type both chunks' values fit, as a whole-file read would infer it; None when one is text and the
    other isn't (then the column is text)."""
    if known == new or pa.types.is_null(new):
        return known
    if pa.types.is_null(known):
        return new
    numeric = (pa.types.is_integer, pa.types.is_floating)
    if all(any(test(t) for test in numeric) for t in (known, new)):
        return pa.int64() if pa.types.is_integer(known) and pa.types.is_integer(new) else pa.float64()
    if all(pa.types.is_string(t) or pa.types.is_large_string(t) for t in (known, new)):
        return pa.large_string()
    if pa.types.is_dictionary(known) and pa.types.is_dictionary(new) and known.value_type == new.value_type:
        return pa.dictionary(pa.int32(), known.value_type)
    return None


def _write(reader: Reader, survey: Survey, target: Path, roles: dict[str, Role]) -> Parsed:
    """Second pass: trimmed chunks written with the unified schema (and the roles, as DataTable writes them)."""
    roles_json = json.dumps({name: str(role) for name, role in roles.items()}).encode()
    schema, writer = survey.schema, None
    try:
        for chunk in reader.chunks(survey.texts):
            table = pa.Table.from_pandas(trimmed(chunk), preserve_index=False)
            if writer is None:  # pandas' own metadata (extension dtypes such as Int64) as the first chunk has it
                schema = schema.with_metadata({**(table.schema.metadata or {}), METADATA_KEY: roles_json})
                writer = pq.ParquetWriter(target, schema, compression="zstd")
            writer.write_table(table.cast(schema))
    finally:
        if writer is not None:
            writer.close()
    columns = DataTable(_as_read_back(schema, survey.gaps), dict(roles)).schema
    return Parsed(target, survey.rows, [column.as_json() for column in columns])


def _as_read_back(schema: pa.Schema, gaps: set[str]) -> pd.DataFrame:
    """An empty frame with the dtypes the stored table reads back with: numpy booleans and integers with
    missing values become object and float, as pandas has them."""
    frame = schema.empty_table().to_pandas()
    for name in gaps & set(frame.columns):
        dtype = frame[name].dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "bi":
            frame[name] = frame[name].astype(object if dtype.kind == "b" else "float64")
    return frame


# --- Limits ------------------------------------------------------------------------------------------


def _within_limits(chunk: pd.DataFrame, offset: int) -> None:
    """A cell of megabytes (a pasted document, a runaway quote) is refused, naming the column and row."""
    for column in chunk.columns:
        if chunk[column].dtype != object and not pd.api.types.is_string_dtype(chunk[column].dtype):
            continue
        lengths = chunk[column].map(lambda value: len(value) if isinstance(value, str) else 0)
        if len(lengths) and int(lengths.max()) > MAX_CELL_CHARS:
            row = offset + int(lengths.to_numpy().argmax()) + 1
            raise DatasetError(f"Column '{str(column).strip()}', row {row}: a value of {int(lengths.max())} "
                               f"characters; at most {MAX_CELL_CHARS} per cell.")


def _columns_within_limit(columns: int) -> int:
    limit = settings.ATELIER_MAX_COLUMNS
    if columns > limit:
        raise DatasetError(f"The file has {columns} columns; at most {limit} (ATELIER_MAX_COLUMNS).")
    return max(columns, 1)


def _json_line_keys(path: Path) -> int:
    """The first JSON line's keys (0 when it isn't an object: the reader says what is wrong)."""
    with open(path, "rb") as handle:
        first = handle.readline(64 * BLOCK)
    try:
        parsed = json.loads(first)
    except ValueError:
        return 0
    return len(parsed) if isinstance(parsed, dict) else 0


def _parquet_columns(path: Path) -> int:
    """From the footer alone (0 when there is none: the reader says what is wrong)."""
    try:
        return int(pq.ParquetFile(path).metadata.num_columns)
    except Exception:  # any damage is reported by the read that follows
        return 0
