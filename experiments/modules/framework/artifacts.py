"""What flows on the non-table ports: untrained and trained models, fitted transforms, evaluations.

All are data, not code: an UntrainedModel is a learner id plus its parameters; a Transform is a kind plus
the statistics it learned (JSON); a TrainedModel is a scikit-learn estimator persisted with skops plus the
schema it was trained on, in an .ilearner package (ilearner.py: sizes, sha256 and this studio's signature
checked, and only the exact types this studio writes loaded); an Evaluation is metrics, curves and matrices
as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import skops.io as sio

from .datatable import Column, DataTable
from .ilearner import ArtifactError as ArtifactError
from .ilearner import package_bytes, package_read


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
        return package_bytes(sio.dumps(self.estimator), json.dumps(self.meta(), default=str, sort_keys=True).encode())

    @classmethod
    def from_bytes(cls, data: bytes, *, require_signature: bool = False) -> TrainedModel:
        """Unpack a package after every check of ilearner.package_read. `require_signature` for anything read
        from outside the studio (workspace storage); the studio's own artifact store may hold unsigned packages
        written before signing existed, which the exact type check keeps safe."""
        package = package_read(data, require_signature=require_signature)
        model = cls._described(package.meta)
        try:
            model.estimator = sio.loads(package.payload, trusted=list(package.types))
        except Exception as error:  # every type is trusted, but skops may still fail on a malformed payload
            raise ArtifactError(f"The trained model could not be rebuilt: {error!r}") from None
        return model

    @classmethod
    def described(cls, data: bytes, *, require_signature: bool = False) -> TrainedModel:
        """The package's metadata after the same checks, without its estimator (None): for decisions that
        need only the schema or the metrics, so that a package from outside is not built in this process."""
        return cls._described(package_read(data, require_signature=require_signature).meta)

    @classmethod
    def _described(cls, meta: bytes) -> TrainedModel:
        try:
            info = json.loads(meta)
            return cls(learner=str(info["learner"]), task=str(info["task"]), estimator=None,
                       features=[Column.from_json(column) for column in info["features"]], label=info["label"],
                       classes=info["classes"], params=dict(info["params"]), name=str(info.get("name", "")),
                       info=dict(info.get("info", {})))
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ArtifactError(f"The trained model's metadata is not readable: {error!r}") from None


TransformApplier = Callable[[DataTable, dict[str, Any]], DataTable]
TRANSFORM_APPLIERS: dict[str, TransformApplier] = {}
# The same transforms on small tables without pandas (experiments/modules/framework/rows.py), where a kind has one.
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


# A fitted transform's state may name, under these keys, columns it learned that new data may lack: "optional", the
# columns marked as the label when it learned; SERVICE_LABELS, the label columns of the web service it is deployed
# in (Transform.served), which a request may leave out or send empty.
OPTIONAL, SERVICE_LABELS = "optional", "service_labels"


def label_columns(state: Mapping[str, Any]) -> set[str]:
    """The columns a fitted transform applies when present and skips when absent (the label)."""
    return set(state.get(OPTIONAL, [])) | set(state.get(SERVICE_LABELS, []))


@dataclass
class Transform:
    kind: str  # e.g. "normalize-data", "clean-missing-data"
    state: dict[str, Any]
    name: str = ""

    def served(self, labels: Iterable[str]) -> Transform:
        """This transform as a web service applies it: the service's `labels` are never required, and a
        request's row is never removed for lacking one (training needed them; scoring does not)."""
        return Transform(self.kind, {**self.state, SERVICE_LABELS: sorted(set(labels))}, self.name)

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
