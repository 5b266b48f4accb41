"""What flows on the non-table ports: untrained and trained models, fitted transforms, evaluations.

All are data, not code: an UntrainedModel is a learner id plus its parameters; a Transform is a kind plus
the statistics it learned (JSON); a TrainedModel is a scikit-learn estimator persisted with skops (safe
loading, no arbitrary pickle) plus the schema it was trained on, packaged with a sha256 that is checked
on load and an HMAC signature keyed from SECRET_KEY, required where a package comes from outside the studio
(workspace storage); an Evaluation is metrics, curves and matrices as JSON.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import skops.io as sio
from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from .datatable import Column, DataTable

# Type-name prefixes a trained-model file may contain; anything else is refused at load time.
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.", "_operator.", "operator.",
                    "functools.", "copyreg.", "experiments.modules.")
# The HMAC salt of a package's signature: a key derived for this purpose only, never a session's or a token's.
SIGNATURE_SALT = "atelier.experiments.modules.artifacts.TrainedModel.signature"
UNSIGNED = ("The trained model was not made by this studio ({reason}); only models written by this studio's "
            "training or retraining jobs can be used")


def package_signature(digest: str, secret: str | bytes | None = None) -> str:
    """HMAC-SHA256 of a package's sha256 (over payload and metadata) with a key derived from SECRET_KEY (or
    `secret`): only this studio can make it, so a signed package's skops types were chosen by our own code."""
    return salted_hmac(SIGNATURE_SALT, digest, secret=secret, algorithm="sha256").hexdigest()


def signature_valid(digest: str, signature: str) -> bool:
    """Whether `signature` was made with SECRET_KEY or one of SECRET_KEY_FALLBACKS (a key rotation keeps
    the models signed with the previous key usable)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(package_signature(digest, key), signature) for key in keys)


class ArtifactError(ValueError):
    """A saved artifact is damaged, tampered with, or of the wrong kind."""


@dataclass
class UntrainedModel:
    learner: str  # module id of the Initialize Model module
    task: str  # binary | multiclass | regression | clustering | anomaly
    params: dict[str, Any]
    name: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UntrainedModel:
        return cls(**data)


@dataclass
class TrainedModel:
    learner: str
    task: str
    estimator: Any
    features: list[Column]
    label: str | None = None
    classes: list[Any] | None = None
    params: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    info: dict[str, Any] = field(default_factory=dict)

    def meta(self) -> dict[str, Any]:
        return {"format": "atelier.ilearner/1", "learner": self.learner, "task": self.task, "name": self.name,
                "features": [column.as_json() for column in self.features], "label": self.label,
                "classes": self.classes, "params": self.params, "info": self.info}

    def to_bytes(self) -> bytes:
        """The .ilearner package: a zip of the skops payload, the metadata, their sha256 and this studio's
        signature of that sha256."""
        payload = sio.dumps(self.estimator)
        meta = json.dumps(self.meta(), default=str, sort_keys=True).encode()
        digest = hashlib.sha256(payload + meta).hexdigest()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("model.skops", payload)
            archive.writestr("meta.json", meta)
            archive.writestr("sha256", digest)
            archive.writestr("signature", package_signature(digest))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, *, require_signature: bool = False) -> TrainedModel:
        """Unpack a package. `require_signature` for anything read from outside the studio (workspace storage):
        skops would trust any sklearn.* type it names, so only packages this studio signed are loaded. The
        studio's own artifact store may hold unsigned packages written before signing existed."""
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                payload, meta, digest = (archive.read(name) for name in ("model.skops", "meta.json", "sha256"))
                signature = archive.read("signature") if "signature" in archive.namelist() else None
        except (zipfile.BadZipFile, KeyError, zlib.error, EOFError, RuntimeError, NotImplementedError) as error:
            raise ArtifactError(f"Not a trained model package: {error}") from None
        actual = hashlib.sha256(payload + meta).hexdigest()
        if actual != digest.decode("ascii", "replace"):
            raise ArtifactError("The trained model's checksum does not match: the file was altered or damaged")
        if require_signature:
            if signature is None:
                raise ArtifactError(UNSIGNED.format(reason="it carries no signature"))
            if not signature_valid(actual, signature.decode("ascii", "replace")):
                raise ArtifactError(UNSIGNED.format(reason="its signature does not match"))
        untrusted = [name for name in sio.get_untrusted_types(data=payload) if not name.startswith(TRUSTED_PREFIXES)]
        if untrusted:
            raise ArtifactError(f"The trained model contains types that are not trusted: {', '.join(untrusted)}")
        estimator = sio.loads(payload, trusted=sio.get_untrusted_types(data=payload))
        info = json.loads(meta)
        return cls(learner=info["learner"], task=info["task"], estimator=estimator,
                   features=[Column.from_json(column) for column in info["features"]], label=info["label"],
                   classes=info["classes"], params=info["params"], name=info.get("name", ""),
                   info=info.get("info", {}))


TransformApplier = Callable[[DataTable, dict[str, Any]], DataTable]
TRANSFORM_APPLIERS: dict[str, TransformApplier] = {}
# The same transforms on small tables without pandas (experiments/modules/rows.py), where a kind has one.
ROW_APPLIERS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {}


def transform_applier(kind: str) -> Callable[[TransformApplier], TransformApplier]:
    """Register how a kind of fitted Transform is applied to new data (used by Apply Transformation)."""

    def register(function: TransformApplier) -> TransformApplier:
        TRANSFORM_APPLIERS[kind] = function
        return function

    return register


def row_applier(kind: str) -> Callable[[Callable[[Any, dict[str, Any]], Any]], Callable[[Any, dict[str, Any]], Any]]:
    """Register a kind's row kernel: (Rows, state) -> Rows, equal to its TRANSFORM_APPLIERS function."""

    def register(function: Callable[[Any, dict[str, Any]], Any]) -> Callable[[Any, dict[str, Any]], Any]:
        ROW_APPLIERS[kind] = function
        return function

    return register


@dataclass
class Transform:
    kind: str  # e.g. "normalize-data", "clean-missing-data"
    state: dict[str, Any]
    name: str = ""

    def apply(self, table: DataTable) -> DataTable:
        if self.kind not in TRANSFORM_APPLIERS:
            raise ArtifactError(f"Unknown transform kind '{self.kind}'")
        return TRANSFORM_APPLIERS[self.kind](table, self.state)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transform:
        return cls(kind=data["kind"], state=data["state"], name=data.get("name", ""))


@dataclass
class Evaluation:
    """SPEC §2's Evaluation visualisation; `compared` holds the second scored input's evaluation, if any."""

    task: str
    metrics: dict[str, float]
    curves: dict[str, Any] = field(default_factory=dict)
    confusion_matrix: dict[str, Any] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    compared: Evaluation | None = None

    def to_json(self) -> dict[str, Any]:
        body = {"task": self.task, "metrics": self.metrics, "curves": self.curves,
                "confusion_matrix": self.confusion_matrix, "details": self.details}
        if self.compared is not None:
            body["compared"] = self.compared.to_json()
        return body

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Evaluation:
        compared = cls.from_json(data["compared"]) if data.get("compared") else None
        return cls(task=data["task"], metrics=data["metrics"], curves=data.get("curves", {}),
                   confusion_matrix=data.get("confusion_matrix"), details=data.get("details", {}),
                   compared=compared)
