"""Saved datasets: uploads (read by experiments/uploads.py) and tables stored as Parquet, loaded for runs."""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from django.contrib.auth.models import User
from django.core.files import File
from django.core.files.storage import default_storage

from studio.models import Workspace

from .models import Dataset
from .modules.framework.datatable import DataTable, Role
from .uploads import MAX_UPLOAD_BYTES, DatasetError, UploadOptions, parse_upload

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"
OUT_OF_MEMORY = ("The server ran out of memory reading this file; try again later, or upload it as Parquet or in "
                 "parts.")
__all__ = ["MAX_UPLOAD_BYTES", "OUT_OF_MEMORY", "DatasetError", "UploadOptions", "dataset_head", "dataset_store",
           "dataset_table", "dataset_upload", "samples_load"]


def dataset_store(*, table: DataTable, name: str, workspace: Workspace | None, source: str, slug: str = "",
                  description: str = "", origin_sha256: str = "", created_by: User | None = None,
                  existing: Dataset | None = None) -> Dataset:
    """Write the table as Parquet (content-addressed, so identical data is stored once) and record it."""
    data = table.to_parquet()
    dataset = existing or Dataset(workspace=workspace, source=source, slug=slug, created_by=created_by)
    dataset.path, dataset.sha256 = _stored(io.BytesIO(data))
    dataset.rows, dataset.size_bytes = len(table.frame), len(data)
    dataset.columns = [column.as_json() for column in table.schema]
    return _record(dataset, name=name, description=description, origin_sha256=origin_sha256)


def _stored(data: IO[bytes]) -> tuple[str, str]:
    """Save a Parquet file under its content hash, read a block at a time; (storage path, sha256)."""
    digest = hashlib.sha256()
    while block := data.read(1024 * 1024):
        digest.update(block)
    path = f"datasets/{digest.hexdigest()[:2]}/{digest.hexdigest()}.parquet"
    data.seek(0)
    if not default_storage.exists(path):
        path = default_storage.save(path, File(data))
    return path, digest.hexdigest()


def _record(dataset: Dataset, *, name: str, description: str, origin_sha256: str) -> Dataset:
    dataset.name, dataset.description, dataset.origin_sha256 = name, description, origin_sha256
    dataset.save()
    return dataset


def _origin_sha256(source: Path | IO[bytes]) -> str:
    digest = hashlib.sha256()
    with source.open("rb") if isinstance(source, Path) else nullcontext(source) as handle:
        handle.seek(0)
        while block := handle.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def dataset_from_file(*, source: Path | IO[bytes], filename: str, name: str, workspace: Workspace | None,
                      origin: str, roles: dict[str, Role] | None = None, created_by: User | None = None,
                      existing: Dataset | None = None, dataset_source: str = Dataset.Source.UPLOAD, slug: str = "",
                      description: str = "", options: UploadOptions | None = None) -> Dataset:
    """Read a file (in chunks: memory stays bounded whatever its size) and store it as a dataset, with the
    rules it was read by (Dataset.parsing: a service trained on it reads raw rows the same way)."""
    with tempfile.TemporaryDirectory(prefix="atelier-upload-") as workdir:
        parsed = parse_upload(source, filename, Path(workdir), roles, options)
        dataset = existing or Dataset(workspace=workspace, source=dataset_source, slug=slug, created_by=created_by)
        with parsed.path.open("rb") as handle:
            dataset.path, dataset.sha256 = _stored(handle)
        dataset.rows, dataset.size_bytes, dataset.columns = parsed.rows, parsed.path.stat().st_size, parsed.columns
        dataset.parsing = parsed.parsing
        return _record(dataset, name=name, description=description, origin_sha256=origin)


def dataset_upload(*, workspace: Workspace, name: str, file: IO[bytes], filename: str,
                   created_by: User | None, options: UploadOptions | None = None) -> Dataset:
    """An uploaded file (Django keeps a large one on disk) as a dataset of the workspace, read by `options`
    (missing markers, decimal separator, lenient lines; the defaults read as uploads always did)."""
    size = getattr(file, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise DatasetError(f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MiB.")
    return dataset_from_file(source=file, filename=filename, name=name or Path(filename).stem, workspace=workspace,
                             origin=_origin_sha256(file), created_by=created_by, options=options)


def lines_adjusted(dataset: Dataset) -> str:
    """What a lenient upload changed, as a sentence ('' when nothing was padded or skipped)."""
    from .modules.framework.table_files import Lines

    record = dataset.parsing or {}
    if not record.get("padded") and not record.get("skipped"):
        return ""
    lines = Lines(0, int(record.get("padded", 0)), int(record.get("skipped", 0)),
                  list(record.get("padded_lines", [])), list(record.get("skipped_lines", [])))
    return lines.summary()


def dataset_table(dataset: Dataset) -> DataTable:
    with default_storage.open(dataset.path, "rb") as handle:
        return DataTable.from_parquet(handle.read())


def dataset_head(dataset: Dataset, rows: int) -> DataTable:
    """The first `rows` rows only (a preview), without reading the rest of a large dataset."""
    with default_storage.open(dataset.path, "rb") as handle:
        stored = pq.ParquetFile(handle)
        batch = next(stored.iter_batches(batch_size=max(rows, 1)), None)
        table = pa.Table.from_batches([batch]) if batch is not None else stored.schema_arrow.empty_table()
    return DataTable.from_arrow(table.slice(0, rows))


def sample_manifest() -> list[dict[str, Any]]:
    manifest = SAMPLE_DIR / "manifest.json"
    return json.loads(manifest.read_text()) if manifest.is_file() else []


def samples_load(names: list[str] | None = None) -> list[str]:
    """Create or refresh the sample datasets (all, or those named) from experiments/sample_data/."""
    loaded = []
    for entry in sample_manifest():
        if names is not None and entry["name"] not in names:
            continue
        path = SAMPLE_DIR / entry["file"]
        existing = Dataset.objects.filter(source=Dataset.Source.SAMPLE, slug=entry["slug"]).first()
        fingerprint = _origin_sha256(path)
        if existing and existing.origin_sha256 == fingerprint:
            continue
        dataset_from_file(source=path, filename=entry["file"], name=entry["name"], workspace=None,
                          origin=fingerprint, roles={entry["label"]: Role.LABEL} if entry.get("label") else {},
                          existing=existing, dataset_source=Dataset.Source.SAMPLE, slug=entry["slug"],
                          description=entry["description"])
        loaded.append(entry["name"])
    return loaded
