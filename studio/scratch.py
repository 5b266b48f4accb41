"""Scratch files: a batch job's chunk inputs and output parts under `jobs/<job id>/` (issue 20). Their names
are fixed by the job and chunk and a redelivered task must replace what it wrote, so the scratch storage
(settings.STORAGES["scratch"], the same place as the default storage) overwrites: a save is a write, with no
look-up for a free name and no delete first. On S3 each of those was a round trip (10-30 ms on real S3), about
20 per chunk; studio/scratch_s3.py also reads with one GET. Users' files keep the default storage, which
never overwrites."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.files.storage import Storage, storages


def scratch() -> Storage:
    """The overwriting storage for job scratch files."""
    return storages["scratch"]


def scratch_read(name: str) -> bytes:
    """A scratch file's bytes; FileNotFoundError when there is none (one request on S3, no existence check)."""
    with scratch().open(name, "rb") as handle:
        data: bytes = handle.read()
    return data


def scratch_delete(names: Iterable[str]) -> None:
    """Delete scratch files: on S3 a thousand a request (ScratchS3Storage.delete_many), else one by one."""
    storage = scratch()
    delete_many = getattr(storage, "delete_many", None)
    if delete_many is not None:
        delete_many(list(names))
        return
    for name in names:
        storage.delete(name)
