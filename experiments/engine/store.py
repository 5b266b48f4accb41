"""Port values to bytes and back, kept in Django's storage (local files or S3) under their cache key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from experiments.modules.framework.artifacts import ArtifactError, Evaluation, TrainedModel, Transform, UntrainedModel
from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.ports import PortType

EXTENSIONS = {PortType.DATA_TABLE: "parquet", PortType.TRAINED_MODEL: "ilearner", PortType.TRANSFORM: "itransform",
              PortType.UNTRAINED_MODEL: "json", PortType.EVALUATION: "json"}


def dump(port_type: PortType, value: Any) -> bytes:
    if port_type == PortType.DATA_TABLE:
        return bytes(value.to_parquet())
    if port_type == PortType.TRAINED_MODEL:
        return bytes(value.to_bytes())
    return json.dumps(value.to_json(), default=str).encode()


def load(port_type: PortType, data: bytes) -> Any:
    if port_type == PortType.DATA_TABLE:
        return DataTable.from_parquet(data)
    if port_type == PortType.TRAINED_MODEL:
        return TrainedModel.from_bytes(data)
    readers: dict[PortType, Callable[[dict[str, Any]], Any]] = {
        PortType.TRANSFORM: Transform.from_json, PortType.UNTRAINED_MODEL: UntrainedModel.from_json,
        PortType.EVALUATION: Evaluation.from_json}
    return readers[port_type](json.loads(data))


def expected_type(port_type: PortType) -> type:
    return {PortType.DATA_TABLE: DataTable, PortType.TRAINED_MODEL: TrainedModel, PortType.TRANSFORM: Transform,
            PortType.UNTRAINED_MODEL: UntrainedModel, PortType.EVALUATION: Evaluation}[port_type]


def save_output(key: str, port: str, port_type: PortType, value: Any) -> dict[str, Any]:
    """Write one output; returns its record for the CacheEntry (path, type, size, sha256)."""
    data = dump(port_type, value)
    path = f"cache/{key[:2]}/{key}/{port}.{EXTENSIONS[port_type]}"
    if default_storage.exists(path):
        default_storage.delete(path)
    saved = default_storage.save(path, ContentFile(data))
    return {"path": saved, "type": str(port_type), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def read_bytes(path: str) -> bytes:
    with default_storage.open(path, "rb") as handle:
        return bytes(handle.read())


def load_output(record: dict[str, Any]) -> Any:
    """An output read back, refused if its bytes are not the ones written (sha256 recorded at save)."""
    data = read_bytes(record["path"])
    if record.get("sha256") and hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise ArtifactError(f"The stored output {record['path']} was altered or damaged (checksum mismatch)")
    return load(PortType(record["type"]), data)


def output_exists(record: dict[str, Any]) -> bool:
    return default_storage.exists(record["path"])


def delete_output(record: dict[str, Any]) -> None:
    if default_storage.exists(record["path"]):
        default_storage.delete(record["path"])
