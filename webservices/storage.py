"""Workspace storage for batch jobs (SPEC §3): files under `workspaces/{ws}/{container}/{path}` in Django's
storage, written and read with an endpoint key, or read with a signed, expiring token (the `SasBlobToken`).

Every file has an owner (issue 14, finding 9; the record is `StorageFile`): the service whose key uploaded
it or whose job wrote it, or the studio. A service's keys reach only its own files: any other file is, to
them, exactly a missing one (same answer, same message). Studio members reach every file of their
workspace. A SasBlobToken reads exactly the file *and content* it was issued for: it signs the file's
sha256, so it stops working when the file is replaced. Writes count against a per-workspace quota
(ATELIER_STORAGE_QUOTA_BYTES); uploads are limited per file (ATELIER_STORAGE_MAX_FILE_BYTES).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from urllib.parse import parse_qs

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db.models import Sum

from .models import StorageFile

TOKEN_SECONDS = 24 * 3600
SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
MAX_LOCATION = 1000
PIECE = 2**20


class StorageError(ValueError):
    def __init__(self, message: str, status: int = 400, code: str = "") -> None:
        super().__init__(message)
        self.message, self.status = message, status
        self.code = code or {404: "NotFound", 409: "Conflict", 413: "RequestEntityTooLarge"}.get(status, "BadArgument")


@dataclass(frozen=True)
class Accessor:
    """Who reaches the storage: a service (through its keys or its jobs), or the studio (`service_id` None:
    its members, and the studio's own work such as schedules), which reaches every file of the workspace."""

    service_id: int | None = None

    def reaches(self, record: StorageFile) -> bool:
        return self.service_id is None or record.service_id == self.service_id


STUDIO = Accessor()


def clean_location(relative: Any) -> str:
    """`container/path/file.csv` with safe segments only (no `..`, no absolute paths)."""
    if not isinstance(relative, str) or not relative.strip():
        raise StorageError("A RelativeLocation must be 'container/path', e.g. 'mydata/input.csv'.")
    parts = relative.strip().strip("/").split("/")
    if len(parts) < 2 or not all(SEGMENT.match(part) and part not in (".", "..") for part in parts):
        raise StorageError(f"'{relative}' is not a valid RelativeLocation: use 'container/path' with letters, digits, "
                           "'.', '_' and '-' in each part.")
    if len(relative.strip()) > MAX_LOCATION:
        raise StorageError(f"A RelativeLocation is at most {MAX_LOCATION} characters long.")
    return "/".join(parts)


def storage_path(workspace_id: str, relative: str) -> str:
    return f"workspaces/{workspace_id}/{clean_location(relative)}"


def _missing(location: str) -> StorageError:
    return StorageError(f"No file at '{location}' in this workspace's storage.", status=404)


# --- Records -----------------------------------------------------------------------------------------


def _modified(path: str) -> datetime | None:
    try:
        return default_storage.get_modified_time(path)
    except (NotImplementedError, OSError):
        return None


def _file_hash(path: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(path, "rb") as handle:
        while piece := handle.read(PIECE):
            digest.update(piece)
    return digest.hexdigest()


def _current(workspace_id: str, location: str) -> StorageFile | None:
    """The file's record, brought up to date with the storage: none when there is no file. A file written
    outside the storage API (Export Data, or before records were kept) is the studio's, hashed now."""
    path = f"workspaces/{workspace_id}/{location}"
    record = StorageFile.objects.filter(workspace_id=workspace_id, location=location).first()
    if not default_storage.exists(path):
        if record is not None:
            record.delete()
        return None
    size, modified = default_storage.size(path), _modified(path)
    if record is not None and record.sha256 and record.size == size and record.modified == modified:
        return record
    record, _ = StorageFile.objects.update_or_create(
        workspace_id=workspace_id, location=location,
        defaults={"service": None, "size": size, "sha256": _file_hash(path), "modified": modified})
    return record


def find(workspace_id: str, relative: str, *, by: Accessor = STUDIO) -> StorageFile | None:
    """The file's record when there is a file and `by` reaches it; None otherwise (the two look the same)."""
    record = _current(workspace_id, clean_location(relative))
    return record if record is not None and by.reaches(record) else None


def exists(workspace_id: str, relative: str, *, by: Accessor = STUDIO) -> bool:
    return find(workspace_id, relative, by=by) is not None


def used_bytes(workspace_id: str, *, besides: str = "") -> int:
    """What the workspace's recorded files take (all but `besides`, the file about to be replaced)."""
    files = StorageFile.objects.filter(workspace_id=workspace_id).exclude(location=besides)
    return int(files.aggregate(total=Sum("size"))["total"] or 0)


# --- Writing -----------------------------------------------------------------------------------------


def _spool(stream: Any, spool: IO[bytes], limit: int | None) -> tuple[int, str]:
    """Copy the stream to the spool in 1 MiB pieces (never whole in memory): (size, sha256). Past `limit`,
    refused at once: the rest is not read and nothing reaches the storage."""
    size, digest = 0, hashlib.sha256()
    while piece := stream.read(PIECE):
        size += len(piece)
        if limit is not None and size > limit:
            raise too_large(limit)
        digest.update(piece)
        spool.write(piece)
    return size, digest.hexdigest()


def too_large(limit: int) -> StorageError:
    return StorageError(f"The file is larger than the storage's limit of {limit} bytes per file "
                        "(ATELIER_STORAGE_MAX_FILE_BYTES); nothing was stored.", status=413)


def _quota_check(workspace_id: str, location: str, size: int) -> None:
    quota = settings.ATELIER_STORAGE_QUOTA_BYTES
    used = used_bytes(workspace_id, besides=location)
    if used + size > quota:
        raise StorageError(f"Storing '{location}' ({size} bytes) would take this workspace's storage past its quota "
                           f"of {quota} bytes ({used} bytes used; ATELIER_STORAGE_QUOTA_BYTES); delete files "
                           "(DELETE …/storage/{container}/{path}) and try again. Nothing was stored.",
                           status=413, code="QuotaExceeded")


def write(workspace_id: str, relative: str, stream: Any, *, by: Accessor = STUDIO,
          limit: int | None = None) -> StorageFile:
    """Store a stream as `by`: a new file becomes its owner's (the studio's for STUDIO); a file `by` does not
    reach is refused (409, the location is taken). Checked before anything is stored: the size `limit`, the
    workspace's quota."""
    location = clean_location(relative)
    path = f"workspaces/{workspace_id}/{location}"
    with tempfile.TemporaryFile() as spool:
        size, digest = _spool(stream, spool, limit)
        record = _current(workspace_id, location)
        if record is not None and not by.reaches(record):
            raise StorageError(f"The location '{location}' is in use by another owner in this workspace's storage; "
                               "write to another path.", status=409)
        _quota_check(workspace_id, location, size)
        spool.seek(0)
        if default_storage.exists(path):
            default_storage.delete(path)
        saved = default_storage.save(path, File(spool))
    if saved != path:  # another call stored a file there meanwhile: the storage chose a new name
        default_storage.delete(saved)
        raise StorageError(f"'{location}' was being written by another call at the same time; try again.", status=409)
    owner = record.service_id if record is not None else by.service_id
    record, _ = StorageFile.objects.update_or_create(
        workspace_id=workspace_id, location=location,
        defaults={"service_id": owner, "size": size, "sha256": digest, "modified": _modified(path)})
    return record


def delete(workspace_id: str, relative: str, *, by: Accessor) -> None:
    """Remove a file `by` reaches (404 for any other, as for a missing one)."""
    location = clean_location(relative)
    record = find(workspace_id, location, by=by)
    if record is None:
        raise _missing(location)
    default_storage.delete(f"workspaces/{workspace_id}/{location}")
    StorageFile.objects.filter(pk=record.pk).delete()


# --- Reading -----------------------------------------------------------------------------------------


def open_file(workspace_id: str, relative: str, *, by: Accessor = STUDIO) -> IO[bytes]:
    location = clean_location(relative)
    if find(workspace_id, location, by=by) is None:
        raise _missing(location)
    handle: IO[bytes] = default_storage.open(f"workspaces/{workspace_id}/{location}", "rb")
    return handle


def read_bytes(workspace_id: str, relative: str, limit: int = 2**30, *, by: Accessor = STUDIO) -> bytes:
    """A (model-sized) file whole; refused past `limit`."""
    location = clean_location(relative)
    record = find(workspace_id, location, by=by)
    if record is None:
        raise _missing(location)
    if record.size > limit:
        raise StorageError(f"'{relative}' is larger than {limit} bytes.")
    with default_storage.open(f"workspaces/{workspace_id}/{location}", "rb") as handle:
        return bytes(handle.read())


# --- SasBlobToken: a read of exactly one file's content ---------------------------------------------


def _signature(workspace_id: str, location: str, expires: int, sha256: str) -> str:
    message = f"{workspace_id}/{location}:{expires}:{sha256}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def sas_token(workspace_id: str, relative: str, seconds: int = TOKEN_SECONDS) -> str:
    """`?se=<expiry>&sig=<hmac>`: appended to BaseLocation + RelativeLocation, it downloads the file as it is
    now (the signature covers its sha256: once the file is replaced, the token is refused)."""
    location = clean_location(relative)
    record = _current(workspace_id, location)
    expires = int(time.time()) + seconds
    return f"?se={expires}&sig={_signature(workspace_id, location, expires, record.sha256 if record else '')}"


def _signed(workspace_id: str, location: str, expires: str, signature: str, sha256: str) -> bool:
    if not expires.isdigit() or int(expires) < time.time():
        return False
    return hmac.compare_digest(_signature(workspace_id, location, int(expires), sha256), signature)


def token_valid(workspace_id: str, relative: str, expires: str, signature: str) -> bool:
    """The token was issued for this file, has not expired, and the file has not been replaced since."""
    location = clean_location(relative)
    record = _current(workspace_id, location)
    return record is not None and _signed(workspace_id, location, expires, signature, record.sha256)


def read_signed(workspace_id: str, relative: str, token: str, limit: int = 2**30) -> bytes:
    """The file whole, only if these very bytes are the version the token (`?se=…&sig=…`) was issued for."""
    query = parse_qs(token.lstrip("?"))
    expires, signature = query.get("se", [""])[0], query.get("sig", [""])[0]
    data = read_bytes(workspace_id, relative, limit)
    if not _signed(workspace_id, clean_location(relative), expires, signature, hashlib.sha256(data).hexdigest()):
        raise StorageError(f"The SasBlobToken is not valid for the file now at '{relative}' (it was replaced, or the "
                           "token expired).", status=403, code="Forbidden")
    return data
