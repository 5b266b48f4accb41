"""Port values to bytes and back (through each port type's codec), kept in files under their cache key.

The files themselves are behind the small `Files` protocol so the engine never imports Django: the studio
installs Django's storage (local files or S3) with `use_files` when its app is ready (experiments/runner.py);
a test or a script may install another.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol

from experiments.modules.framework.artifacts import ArtifactError
from experiments.modules.framework.ports import PortType
from studio.errors import AtelierError

from .codecs import CODECS, codec_for

EXTENSIONS = {port_type: codec.extension for port_type, codec in CODECS.items()}
OutputRecord = dict[str, Any]  # {"path", "type", "bytes", "sha256"}: one stored output, as a CacheEntry keeps it


class Files(Protocol):
    """Where stored outputs live: paths relative to the storage root."""

    def exists(self, path: str) -> bool: ...

    def read(self, path: str) -> bytes: ...

    def write(self, path: str, data: bytes) -> str:
        """Write data at path (replacing what was there); returns the path it was saved under."""
        ...

    def delete(self, path: str) -> None: ...


class FilesNotConfigured(AtelierError, RuntimeError):
    """Stored outputs were used before the application said where files live."""

    code = "files-not-configured"
    status = 500


_files: Files | None = None


def use_files(files: Files) -> None:
    """Say where stored outputs live (the studio's app config installs Django's storage)."""
    global _files
    _files = files


def files() -> Files:
    if _files is None:
        raise FilesNotConfigured("No file storage is configured for stored outputs (engine.store.use_files).")
    return _files


def dump(port_type: PortType, value: Any) -> bytes:
    return codec_for(port_type).dump(value)


def load(port_type: PortType, data: bytes) -> Any:
    return codec_for(port_type).load(data)


def expected_type(port_type: PortType) -> type:
    return codec_for(port_type).value_type


def save_output(key: str, port: str, port_type: PortType, value: Any) -> OutputRecord:
    """Write one output; returns its record for the CacheEntry (path, type, size, sha256)."""
    data = dump(port_type, value)
    saved = files().write(f"cache/{key[:2]}/{key}/{port}.{EXTENSIONS[port_type]}", data)
    return {"path": saved, "type": str(port_type), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def read_bytes(path: str) -> bytes:
    return files().read(path)


def load_output(record: OutputRecord) -> Any:
    """An output read back, refused if its bytes are not the ones written (sha256 recorded at save)."""
    data = read_bytes(record["path"])
    if record.get("sha256") and hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise ArtifactError(f"The stored output {record['path']} was altered or damaged (checksum mismatch)")
    return load(PortType(record["type"]), data)


def output_exists(record: OutputRecord) -> bool:
    return files().exists(record["path"])


def delete_output(record: OutputRecord) -> None:
    if files().exists(record["path"]):
        files().delete(record["path"])
