"""Workspace storage as the classic API sees it (SPEC §3): the studio's storage (studio/storage.py: the one
layout `workspaces/{ws}/{container}/{path}`, the owners and the quota, shared with Import Data, Export Data and
the Datasets page), plus the SasBlobToken, a signed, expiring read of one file.

Every file has an owner (issue 14, finding 9): the service whose key uploaded it or whose job wrote it, or the
studio. A service's keys reach only its own files: any other file is, to them, exactly a missing one (same
answer, same message). Studio members reach every file of their workspace. A SasBlobToken reads exactly the
file *and content* it was issued for: it signs the file's sha256, so it stops working when the file is
replaced. Writes count against a per-workspace quota (ATELIER_STORAGE_QUOTA_BYTES); uploads are limited per
file (ATELIER_STORAGE_MAX_FILE_BYTES).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import parse_qs

from django.conf import settings

from studio.storage import (
    STUDIO,
    Accessor,
    StorageError,
    clean_location,
    current,
    delete,
    exists,
    find,
    open_file,
    read_bytes,
    storage_path,
    too_large,
    used_bytes,
    write,
)

__all__ = ["STUDIO", "Accessor", "StorageError", "clean_location", "current", "delete", "exists", "find", "open_file",
           "read_bytes", "read_signed", "sas_token", "storage_path", "token_valid", "too_large", "used_bytes",
           "write"]

TOKEN_SECONDS = 24 * 3600


# --- SasBlobToken: a read of exactly one file's content ---------------------------------------------


def _signature(workspace_id: str, location: str, expires: int, sha256: str) -> str:
    message = f"{workspace_id}/{location}:{expires}:{sha256}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def sas_token(workspace_id: str, relative: str, seconds: int = TOKEN_SECONDS) -> str:
    """`?se=<expiry>&sig=<hmac>`: appended to BaseLocation + RelativeLocation, it downloads the file as it is
    now (the signature covers its sha256: once the file is replaced, the token is refused)."""
    location = clean_location(relative)
    record = current(workspace_id, location)
    expires = int(time.time()) + seconds
    return f"?se={expires}&sig={_signature(workspace_id, location, expires, record.sha256 if record else '')}"


def _signed(workspace_id: str, location: str, expires: str, signature: str, sha256: str) -> bool:
    if not expires.isdigit() or int(expires) < time.time():
        return False
    return hmac.compare_digest(_signature(workspace_id, location, int(expires), sha256), signature)


def token_valid(workspace_id: str, relative: str, expires: str, signature: str) -> bool:
    """The token was issued for this file, has not expired, and the file has not been replaced since."""
    location = clean_location(relative)
    record = current(workspace_id, location)
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
