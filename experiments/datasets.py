"""Saved datasets: reading uploads with type inference, storing them as Parquet, loading them for runs."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import zlib
from pathlib import Path
from typing import Any

import pandas as pd
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from studio.models import Workspace

from .models import Dataset
from .modules.datatable import DataTable

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
MAX_CELL_CHARS = 1024 * 1024
MISSING_MARKERS = ["", "?", "NA", "N/A", "NaN", "nan", "null", "NULL"]


class DatasetError(ValueError):
    """An upload that can't become a dataset; the message says why, naming the line or column."""


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """CSV, TSV, Parquet or JSON lines, chosen by extension (a .gz suffix is unpacked first)."""
    name = filename.lower()
    if name.endswith(".gz"):
        data, name = _gunzip(data), name[:-3]
    try:
        if name.endswith(".parquet"):
            _columns_within_limit(_parquet_columns(data))
            return pd.read_parquet(io.BytesIO(data))
        if name.endswith((".jsonl", ".json", ".ndjson")):
            _columns_within_limit(_json_line_keys(data))
            return pd.read_json(io.BytesIO(data), lines=True)
        separator = "\t" if name.endswith((".tsv", ".tab")) else ","
        _header_within_limits(data, separator)
        return pd.read_csv(io.BytesIO(data), sep=separator, na_values=MISSING_MARKERS, keep_default_na=False,
                           skipinitialspace=True, encoding="utf-8")
    except UnicodeDecodeError:
        raise DatasetError("The file is not UTF-8 text; save it as UTF-8 and upload it again.") from None
    except (pd.errors.ParserError, ValueError) as error:
        raise DatasetError(f"The file could not be read as a table: {error}") from None


def _first_line(data: bytes) -> str:
    end = data.find(b"\n")
    return data[: end if end >= 0 else len(data)].decode("utf-8", "replace")


def _header_within_limits(data: bytes, separator: str) -> None:
    """Count the header's columns before parsing: a few megabytes of separators (a CSV bomb) would otherwise
    make the parser build a million columns before _within_limits could refuse them."""
    first = _first_line(data)
    _columns_within_limit(first.count(separator) + 1 if '"' not in first
                          else len(next(csv.reader([first], delimiter=separator))))


def _json_line_keys(data: bytes) -> int:
    """The first JSON line's keys (0 when it isn't an object: the reader says what is wrong)."""
    try:
        first = json.loads(_first_line(data))
    except ValueError:
        return 0
    return len(first) if isinstance(first, dict) else 0


def _parquet_columns(data: bytes) -> int:
    """From the footer alone (0 when there is none: the reader says what is wrong)."""
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(io.BytesIO(data)).metadata.num_columns)
    except Exception:  # any damage is reported by the full read that follows
        return 0


def _columns_within_limit(columns: int) -> None:
    limit = settings.ATELIER_MAX_COLUMNS
    if columns > limit:
        raise DatasetError(f"The file has {columns} columns; at most {limit} (ATELIER_MAX_COLUMNS).")


def _gunzip(data: bytes) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            unpacked = handle.read(MAX_UPLOAD_BYTES + 1)  # bounded: a gzip bomb stops here
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(f"The file is named .gz but is not a gzip file, or is damaged: {error}.") from None
    if len(unpacked) > MAX_UPLOAD_BYTES:
        raise DatasetError(f"The file unpacks to more than {MAX_UPLOAD_BYTES // 2**20} MiB.")
    return unpacked


def tidy_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Trim text cells and header names, as the classic studio's sample data were."""
    frame = frame.rename(columns=lambda name: str(name).strip())
    for column in frame.columns:
        if pd.api.types.is_string_dtype(frame[column].dtype) or frame[column].dtype == object:
            frame[column] = frame[column].map(lambda value: value.strip() if isinstance(value, str) else value)
    return frame


def dataset_store(*, table: DataTable, name: str, workspace: Workspace | None, source: str, slug: str = "",
                  description: str = "", origin_sha256: str = "", created_by: AbstractBaseUser | None = None,
                  existing: Dataset | None = None) -> Dataset:
    """Write the table as Parquet (content-addressed, so identical data is stored once) and record it."""
    data = table.to_parquet()
    digest = hashlib.sha256(data).hexdigest()
    path = f"datasets/{digest[:2]}/{digest}.parquet"
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(data))
    dataset = existing or Dataset(workspace=workspace, source=source, slug=slug, created_by=created_by)
    dataset.name, dataset.description, dataset.path, dataset.sha256 = name, description, path, digest
    dataset.origin_sha256 = origin_sha256
    dataset.rows, dataset.size_bytes = len(table.frame), len(data)
    dataset.columns = [column.as_json() for column in table.schema]
    dataset.save()
    return dataset


def _within_limits(frame: pd.DataFrame) -> None:
    """Refuse tables the studio can't show or score sensibly: too many columns, a row-less file, a cell of
    megabytes (a pasted document, a runaway quote), naming the column and row."""
    _columns_within_limit(frame.shape[1])
    if len(frame) == 0:
        raise DatasetError("The file has a header but no rows.")
    for column in frame.columns:
        if frame[column].dtype != object and not pd.api.types.is_string_dtype(frame[column].dtype):
            continue
        lengths = frame[column].map(lambda value: len(value) if isinstance(value, str) else 0)
        if int(lengths.max()) > MAX_CELL_CHARS:
            row = int(lengths.to_numpy().argmax()) + 1
            raise DatasetError(f"Column '{column}', row {row}: a value of {int(lengths.max())} characters; at most "
                               f"{MAX_CELL_CHARS} per cell.")


def dataset_upload(*, workspace: Workspace, name: str, data: bytes, filename: str,
                   created_by: AbstractBaseUser | None) -> Dataset:
    if len(data) > MAX_UPLOAD_BYTES:
        raise DatasetError(f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MiB.")
    origin = hashlib.sha256(data).hexdigest()
    frame = tidy_frame(read_table(data, filename))
    if frame.shape[1] == 0:
        raise DatasetError("The file has no columns.")
    _within_limits(frame)
    try:
        table = DataTable(frame)
    except ValueError as error:
        raise DatasetError(str(error)) from None
    return dataset_store(table=table, name=name or Path(filename).stem, workspace=workspace,
                         source=Dataset.Source.UPLOAD, origin_sha256=origin, created_by=created_by)


def dataset_table(dataset: Dataset) -> DataTable:
    with default_storage.open(dataset.path, "rb") as handle:
        return DataTable.from_parquet(handle.read())


def sample_manifest() -> list[dict[str, Any]]:
    manifest = SAMPLE_DIR / "manifest.json"
    return json.loads(manifest.read_text()) if manifest.is_file() else []


def samples_load(names: list[str] | None = None) -> list[str]:
    """Create or refresh the sample datasets (all, or those named) from experiments/sample_data/."""
    loaded = []
    for entry in sample_manifest():
        if names is not None and entry["name"] not in names:
            continue
        data = (SAMPLE_DIR / entry["file"]).read_bytes()
        existing = Dataset.objects.filter(source=Dataset.Source.SAMPLE, slug=entry["slug"]).first()
        fingerprint = hashlib.sha256(data).hexdigest()
        if existing and existing.origin_sha256 == fingerprint:
            continue
        frame = tidy_frame(read_table(data, entry["file"]))
        table = DataTable(frame, {entry["label"]: "label"} if entry.get("label") else {})
        dataset_store(table=table, name=entry["name"], workspace=None, source=Dataset.Source.SAMPLE,
                      slug=entry["slug"], description=entry["description"], origin_sha256=fingerprint,
                      existing=existing)
        loaded.append(entry["name"])
    return loaded

