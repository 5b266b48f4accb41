"""The .ilearner package (a trained model as this studio writes it), read within limits and checked.

A package is a zip of model.skops (the estimator, itself a skops zip), meta.json, sha256 (of those two) and
signature (an HMAC of the sha256 keyed from SECRET_KEY). Reading one, from anywhere, goes in this order:

1. sizes, from the zip directories alone, before anything is decompressed: the file, each member, their sum
   and each member's compression ratio (ATELIER_MAX_MODEL_BYTES, _UNPACKED_BYTES, _RATIO);
2. where a signature is required (anything from outside the studio), the signature of the declared sha256,
   before the payload is decompressed: a package this studio did not make is never unpacked;
3. the payload and metadata, decompressed in 1 MiB pieces with a hard cap on the bytes actually produced (a
   directory may lie, and zipfile's whole-member `read()` inflates up to 2 GiB before cutting to the declared
   size), hashed and compared with the sha256; then the skops payload's own directory, checked as in 1, its
   members stored uncompressed (skops reads them whole; stored, they are no larger than the payload);
4. every type the skops payload names, compared with the exact list of types this studio's modules write
   (model_types.py, derived from the registry), before skops builds anything. A signature is not enough: it
   says who wrote the package; the types say what loading it may run.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import skops.io as sio
from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from studio.errors import AtelierError

PAYLOAD, META, DIGEST, SIGNATURE = "model.skops", "meta.json", "sha256", "signature"
SMALL_MEMBER = 256  # the sha256 and signature members hold 64 hex characters
RATIO_FLOOR = 2**20  # members smaller than this may compress as well as they like
SCHEMA = "schema.json"  # the skops payload's description of every object in it
# What zipfile raises on a damaged, truncated, encrypted or exotic archive.
UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, OSError, ValueError)
# The HMAC salt of a package's signature: a key derived for this purpose only, never a session's or a token's.
# Frozen: every signed package verifies against it (it names the module path of the time, not the current one).
SIGNATURE_SALT = "atelier.experiments.modules.artifacts.TrainedModel.signature"
UNSIGNED = ("The trained model was not made by this studio ({reason}); only models written by this studio's "
            "training or retraining jobs can be used")

class ArtifactError(AtelierError, ValueError):
    """A saved artifact is damaged, tampered with, too large, or of the wrong kind."""

    code = "invalid-artifact"


def package_signature(digest: str, secret: str | bytes | None = None) -> str:
    """HMAC-SHA256 of a package's sha256 (over payload and metadata) with a key derived from SECRET_KEY (or
    `secret`): only this studio can make it."""
    return salted_hmac(SIGNATURE_SALT, digest, secret=secret, algorithm="sha256").hexdigest()


def signature_valid(digest: str, signature: str) -> bool:
    """Whether `signature` was made with SECRET_KEY or one of SECRET_KEY_FALLBACKS (a key rotation keeps
    the models signed with the previous key usable)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(package_signature(digest, key), signature) for key in keys)


@dataclass(frozen=True)
class Limits:
    packed: int  # bytes of the .ilearner file
    unpacked: int  # bytes of everything in it, decompressed (the package's members, then the payload's)
    ratio: int  # decompressed / compressed, per member larger than RATIO_FLOOR

    @classmethod
    def current(cls) -> Limits:
        return cls(settings.ATELIER_MAX_MODEL_BYTES, settings.ATELIER_MAX_MODEL_UNPACKED_BYTES,
                   settings.ATELIER_MAX_MODEL_RATIO)


@dataclass(frozen=True)
class Package:
    """A package's checked contents: the skops payload, the metadata, and the (all trusted) types it names."""

    payload: bytes
    meta: bytes
    types: tuple[str, ...]


def package_bytes(payload: bytes, meta: bytes) -> bytes:
    """The .ilearner zip of a skops payload and its metadata, with their sha256 and this studio's signature."""
    digest = hashlib.sha256(payload + meta).hexdigest()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(PAYLOAD, payload)
        archive.writestr(META, meta)
        archive.writestr(DIGEST, digest)
        archive.writestr(SIGNATURE, package_signature(digest))
    return buffer.getvalue()


def package_read(data: bytes, *, require_signature: bool = False) -> Package:
    """A package checked in the order of the module docstring; ArtifactError names the first problem."""
    limits = Limits.current()
    if len(data) > limits.packed:
        raise ArtifactError(f"The trained model file is {len(data):,} bytes; the limit is {limits.packed:,} "
                            "(ATELIER_MAX_MODEL_BYTES)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = _directory(archive, limits.unpacked, limits, "The trained model package")
            _expect(members)
            digest = _read(archive, members[DIGEST], SMALL_MEMBER).decode("ascii", "replace")
            signature = _read(archive, members[SIGNATURE], SMALL_MEMBER) if SIGNATURE in members else None
            if require_signature:
                _check_signature(digest, signature)
            budget = limits.unpacked
            payload = _read(archive, members[PAYLOAD], budget)
            meta = _read(archive, members[META], budget - len(payload))
    except ArtifactError:
        raise
    except UNREADABLE as error:
        raise ArtifactError(f"Not a trained model package: {error}") from None
    if hashlib.sha256(payload + meta).hexdigest() != digest:
        raise ArtifactError("The trained model's checksum does not match: the file was altered or damaged")
    from .model_types import trusted_types  # it builds the learners' estimators, which import this module

    types = payload_types(payload, limits.unpacked - len(payload) - len(meta), limits)
    untrusted = sorted(set(types) - trusted_types())
    if untrusted:
        raise ArtifactError(f"The trained model contains types this studio never writes, so it is not loaded: "
                            f"{', '.join(untrusted)}")
    return Package(payload, meta, tuple(sorted(types)))


def payload_types(payload: bytes, budget: int, limits: Limits) -> set[str]:
    """Every type a skops payload names: each object its schema describes (what skops trusts by default
    included) and whatever skops' own audit reports (e.g. a random generator's class, named in a string)."""
    try:
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            members = _directory(archive, budget, limits, "The trained model's payload")
            packed = sorted(name for name, info in members.items() if info.compress_type != zipfile.ZIP_STORED)
            if packed:  # skops reads each member whole: only stored ones are bounded by the sizes just checked
                raise ArtifactError(f"The trained model's payload has a compressed member ('{packed[0]}'); skops "
                                    "payloads are stored uncompressed")
            if SCHEMA not in members:
                raise ArtifactError("Not a trained model package: the payload has no schema")
            schema = json.loads(_read(archive, members[SCHEMA], budget))
        audited = sio.get_untrusted_types(data=payload)
    except ArtifactError:
        raise
    except Exception as error:  # skops' audit of a malformed schema may raise any kind of error
        raise ArtifactError(f"The trained model's payload is not readable: {error!r}") from None
    return set(_named(schema)) | set(audited)


def _named(node: Any) -> Iterable[str]:
    """`module.class` of every object description in a skops schema, however deep (iteratively)."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__module__" in item or "__class__" in item:
                yield f"{item.get('__module__')}.{item.get('__class__')}"
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _directory(archive: zipfile.ZipFile, budget: int, limits: Limits, what: str) -> dict[str, zipfile.ZipInfo]:
    """The members by name, after the checks that need no decompression: no duplicate names, the declared
    sizes within `budget`, no member compressed suspiciously well."""
    infos = archive.infolist()
    members = {info.filename: info for info in infos}
    if len(members) != len(infos):
        raise ArtifactError(f"{what} names a member twice")
    declared = sum(info.file_size for info in infos)
    if declared > budget:
        raise ArtifactError(f"{what} unpacks to {declared:,} bytes; the limit is {limits.unpacked:,} "
                            "(ATELIER_MAX_MODEL_UNPACKED_BYTES)")
    for info in infos:
        ratio = info.file_size // max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > limits.ratio:
            raise ArtifactError(f"{what}'s member '{info.filename}' unpacks {ratio:,} times larger than it is "
                                f"stored; the limit is {limits.ratio} (ATELIER_MAX_MODEL_RATIO)")
    return members


def _expect(members: dict[str, zipfile.ZipInfo]) -> None:
    unknown = sorted(set(members) - {PAYLOAD, META, DIGEST, SIGNATURE})
    missing = [name for name in (PAYLOAD, META, DIGEST) if name not in members]
    if unknown or missing:
        problem = f"unexpected member '{unknown[0]}'" if unknown else f"no member '{missing[0]}'"
        raise ArtifactError(f"Not a trained model package: {problem}")


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """A member decompressed in pieces, refused as soon as it passes its declared size or `cap`."""
    allowed = min(info.file_size, cap)
    pieces, size = [], 0
    with archive.open(info) as stream:
        while piece := stream.read(2**20):
            size += len(piece)
            if size > allowed:
                raise ArtifactError(f"The trained model package's member '{info.filename}' unpacks to more than "
                                    f"{allowed:,} bytes (its declared size, or what the limits leave)")
            pieces.append(piece)
    return b"".join(pieces)


def _check_signature(digest: str, signature: bytes | None) -> None:
    if signature is None:
        raise ArtifactError(UNSIGNED.format(reason="it carries no signature"))
    if not signature_valid(digest, signature.decode("ascii", "replace")):
        raise ArtifactError(UNSIGNED.format(reason="its signature does not match"))
