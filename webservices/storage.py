"""Workspace storage for batch jobs (SPEC §3): files under `workspaces/{ws}/{container}/{path}` in Django's
storage, written and read with an endpoint key, or read with a signed, expiring token (the `SasBlobToken`)."""

from __future__ import annotations

import hashlib
import hmac
import re
import tempfile
import time
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage

TOKEN_SECONDS = 24 * 3600
SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")


class StorageError(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def clean_location(relative: Any) -> str:
    """`container/path/file.csv` with safe segments only (no `..`, no absolute paths)."""
    if not isinstance(relative, str) or not relative.strip():
        raise StorageError("A RelativeLocation must be 'container/path', e.g. 'mydata/input.csv'.")
    parts = relative.strip().strip("/").split("/")
    if len(parts) < 2 or not all(SEGMENT.match(part) and part not in (".", "..") for part in parts):
        raise StorageError(f"'{relative}' is not a valid RelativeLocation: use 'container/path' with letters, digits, "
                           "'.', '_' and '-' in each part.")
    return "/".join(parts)


def storage_path(workspace_id: str, relative: str) -> str:
    return f"workspaces/{workspace_id}/{clean_location(relative)}"


def write(workspace_id: str, relative: str, stream: Any) -> int:
    """Store a stream (a request body, a file) in 1 MiB pieces through a temporary file: never whole in memory."""
    path = storage_path(workspace_id, relative)
    with tempfile.TemporaryFile() as spool:
        while piece := stream.read(2**20):
            spool.write(piece)
        spool.seek(0)
        if default_storage.exists(path):
            default_storage.delete(path)
        default_storage.save(path, File(spool))
    return int(default_storage.size(path))


def read_bytes(workspace_id: str, relative: str, limit: int = 2**30) -> bytes:
    """A (model-sized) file whole; refused past `limit`."""
    path = storage_path(workspace_id, relative)
    if not default_storage.exists(path):
        raise StorageError(f"No file at '{relative}' in this workspace's storage.", status=404)
    if default_storage.size(path) > limit:
        raise StorageError(f"'{relative}' is larger than {limit} bytes.")
    with default_storage.open(path, "rb") as handle:
        return bytes(handle.read())


def exists(workspace_id: str, relative: str) -> bool:
    return bool(default_storage.exists(storage_path(workspace_id, relative)))


def open_file(workspace_id: str, relative: str) -> IO[bytes]:
    path = storage_path(workspace_id, relative)
    if not default_storage.exists(path):
        raise StorageError(f"No file at '{relative}' in this workspace's storage.", status=404)
    handle: IO[bytes] = default_storage.open(path, "rb")
    return handle


def _signature(workspace_id: str, relative: str, expires: int) -> str:
    message = f"{workspace_id}/{clean_location(relative)}:{expires}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def sas_token(workspace_id: str, relative: str, seconds: int = TOKEN_SECONDS) -> str:
    """`?se=<expiry>&sig=<hmac>`: appended to BaseLocation + RelativeLocation, it downloads the file."""
    expires = int(time.time()) + seconds
    return f"?se={expires}&sig={_signature(workspace_id, relative, expires)}"


def token_valid(workspace_id: str, relative: str, expires: str, signature: str) -> bool:
    if not expires.isdigit() or int(expires) < time.time():
        return False
    return hmac.compare_digest(_signature(workspace_id, relative, int(expires)), signature)
