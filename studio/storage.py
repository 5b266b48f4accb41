"""Workspace storage: the one place files of a workspace live, whatever door they come through (issue 18).

A file is named by its location, `container/path` (a RelativeLocation), and stored at
`workspaces/{ws}/{location}` in Django's default storage (`storage_path`, the only place the layout is
written). The classic storage call (PUT/GET/DELETE …/storage/{location}), batch jobs' inputs and outputs,
Import Data and Export Data and the Datasets page all go through this module, so one location names one file
for all of them.

Every file has an owner (issue 14, finding 9; the record is `studio.models.StorageFile`): the service whose key
uploaded it or whose job wrote it, or the studio (its members, and its own work such as Export Data and
schedules). A service's keys reach only its own files: any other file is, to them, exactly a missing one (same
answer, same message). Studio members reach every file of their workspace. Writes count against a
per-workspace quota (ATELIER_STORAGE_QUOTA_BYTES). The classic layer adds its SasBlobToken on top
(webservices/storage.py).
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db.models import Sum

from .models import StorageFile

SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")
MAX_LOCATION = 1000
PIECE = 2**20

#: Names of the services that own files, for listings: functions ({service ids}) -> {id: name}, added by the
#: app that has services (webservices, in its AppConfig.ready); the studio never imports it.
OWNER_NAMES: list[Callable[[set[int]], dict[int, str]]] = []


class StorageError(ValueError):
    def __init__(self, message: str, status: int = 400, code: str = "") -> None:
        super().__init__(message)
        self.message, self.status = message, status
        self.code = code or {404: "NotFound", 409: "Conflict", 413: "RequestEntityTooLarge"}.get(status, "BadArgument")


@dataclass(frozen=True)
class Accessor:
    """Who reaches the storage: a service (through its keys or its jobs), or the studio (`service_id` None:
    its members, and the studio's own work such as Export Data or schedules), which reaches every file."""

    service_id: int | None = None

    def reaches(self, record: StorageFile) -> bool:
        return self.service_id is None or record.service_id == self.service_id


STUDIO = Accessor()


# --- The layout ---------------------------------------------------------------------------------------


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
    """Where the file at `relative` lives in Django's storage: the one layout."""
    return f"workspaces/{workspace_id}/{clean_location(relative)}"


def _missing(location: str) -> StorageError:
    return StorageError(f"No file at '{location}' in this workspace's storage.", status=404)


# --- Records -----------------------------------------------------------------------------------------


def modified_time(path: str) -> datetime | None:
    try:
        return default_storage.get_modified_time(path)
    except (NotImplementedError, OSError):
        return None


def file_hash(path: str) -> str:
    digest = hashlib.sha256()
    with default_storage.open(path, "rb") as handle:
        while piece := handle.read(PIECE):
            digest.update(piece)
    return digest.hexdigest()


def current(workspace_id: str, location: str) -> StorageFile | None:
    """The file's record, brought up to date with the storage: none when there is no file. A file written
    outside this module (by hand, or before records were kept) is the studio's, hashed now."""
    path = storage_path(workspace_id, location)
    record = StorageFile.objects.filter(workspace_id=workspace_id, location=location).first()
    if not default_storage.exists(path):
        if record is not None:
            record.delete()
        return None
    size, modified = default_storage.size(path), modified_time(path)
    if record is not None and record.sha256 and record.size == size and record.modified == modified:
        return record
    record, _ = StorageFile.objects.update_or_create(
        workspace_id=workspace_id, location=location,
        defaults={"service_id": None, "size": size, "sha256": file_hash(path), "modified": modified})
    return record


def find(workspace_id: str, relative: str, *, by: Accessor = STUDIO) -> StorageFile | None:
    """The file's record when there is a file and `by` reaches it; None otherwise (the two look the same)."""
    record = current(workspace_id, clean_location(relative))
    return record if record is not None and by.reaches(record) else None


def exists(workspace_id: str, relative: str, *, by: Accessor = STUDIO) -> bool:
    return find(workspace_id, relative, by=by) is not None


def used_bytes(workspace_id: str, *, besides: str = "") -> int:
    """What the workspace's recorded files take (all but `besides`, the file about to be replaced)."""
    files = StorageFile.objects.filter(workspace_id=workspace_id).exclude(location=besides)
    return int(files.aggregate(total=Sum("size"))["total"] or 0)


@dataclass(frozen=True)
class Listed:
    """A file as the Datasets page shows it."""

    location: str
    size: int
    modified: datetime | None
    owner: str


def files_listed(workspace_id: str) -> list[Listed]:
    """The workspace's files by location, each with its owner's name ("studio", or the owning service's)."""
    records = list(StorageFile.objects.filter(workspace_id=workspace_id).order_by("location"))
    services = {record.service_id for record in records if record.service_id is not None}
    names: dict[int, str] = {}
    for lookup in OWNER_NAMES:
        names.update(lookup(services))
    return [Listed(record.location, record.size, record.modified or record.updated,
                   "studio" if record.service_id is None else names.get(record.service_id, "a deleted service"))
            for record in records]


def files_disown(*, service_id: int) -> int:
    """A deleted service's files stay, the studio's now (its members reach them, no key does)."""
    return StorageFile.objects.filter(service_id=service_id).update(service_id=None)


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
    path = storage_path(workspace_id, location)
    with tempfile.TemporaryFile() as spool:
        size, digest = _spool(stream, spool, limit)
        record = current(workspace_id, location)
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
        defaults={"service_id": owner, "size": size, "sha256": digest, "modified": modified_time(path)})
    return record


def delete(workspace_id: str, relative: str, *, by: Accessor) -> None:
    """Remove a file `by` reaches (404 for any other, as for a missing one)."""
    location = clean_location(relative)
    record = find(workspace_id, location, by=by)
    if record is None:
        raise _missing(location)
    default_storage.delete(storage_path(workspace_id, location))
    StorageFile.objects.filter(pk=record.pk).delete()


# --- Reading -----------------------------------------------------------------------------------------


def open_file(workspace_id: str, relative: str, *, by: Accessor = STUDIO) -> IO[bytes]:
    location = clean_location(relative)
    if find(workspace_id, location, by=by) is None:
        raise _missing(location)
    handle: IO[bytes] = default_storage.open(storage_path(workspace_id, location), "rb")
    return handle


def read_bytes(workspace_id: str, relative: str, limit: int = 2**30, *, by: Accessor = STUDIO) -> bytes:
    """A (model- or table-sized) file whole; refused past `limit`."""
    location = clean_location(relative)
    record = find(workspace_id, location, by=by)
    if record is None:
        raise _missing(location)
    if record.size > limit:
        raise StorageError(f"'{relative}' is larger than {limit} bytes.")
    with default_storage.open(storage_path(workspace_id, location), "rb") as handle:
        return bytes(handle.read())
