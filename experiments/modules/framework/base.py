"""The Module contract (DESIGN §2): declared ports and parameters, a pure `execute`, optional schema inference."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from studio.errors import AtelierError

from .code_forms import CodeForm, CodeNode
from .datatable import DataTable, Schema
from .params import Param, ParamInvalid
from .ports import InputPort, OutputPort
from .rows import RowKernel


@dataclass(frozen=True)
class Problem:
    """One validation problem, pointing at a node and, where it applies, a parameter or column."""

    node: str | None
    message: str
    parameter: str | None = None
    column: str | None = None
    edge: str | None = None
    # structural problems (malformed, unknown-module, edge, cycle) can't be saved; the rest can't be run
    code: str = "invalid"

    def as_json(self) -> dict[str, str]:
        body = {"node": self.node, "parameter": self.parameter, "column": self.column, "edge": self.edge,
                "message": self.message}
        return {key: value for key, value in body.items() if value is not None}


class ServiceRole(StrEnum):
    """What Set Up Web Service does with a module (experiments/conversion.py), declared on the module as
    `web_service`: the one place these role ids are written (they are plain strings, so "train" == TRAIN)."""

    KEEP = ""  # kept where it lies on the scoring path
    TRAIN = "train"  # its trained model is frozen into the service
    SCORE = "score"  # where predictions are made
    SAMPLE = "sample"  # bypassed: every request row is scored
    EVALUATE = "evaluate"  # only serves training, so it is removed


class ModuleError(AtelierError):
    """A module could not do its work on this input; the message is for the user of the canvas. `details`: the
    traceback the user needs when it is not the worker's own (a script's, from its sandbox)."""

    code = "module-failed"

    def __init__(self, message: str, *, parameter: str | None = None, column: str | None = None,
                 details: str | None = None) -> None:
        super().__init__(message, target=parameter or column)
        self.parameter = parameter
        self.column = column
        self.details = details


class Cancelled(Exception):
    """The run was cancelled while this module was working."""


@dataclass
class Context:
    """What a module may use besides its inputs: progress, logging and read access to saved objects."""

    node_id: str = "n"
    workspace_id: str | None = None
    report_progress: Callable[[float], None] = lambda fraction: None
    loaders: Mapping[str, Callable[[int], Any]] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    # The node's output log (the engine's; experiments/engine/output.py): (stream, text) in the order written.
    write_output: Callable[[str, str], None] = lambda stream, text: None

    def progress(self, fraction: float) -> None:
        self.report_progress(min(max(float(fraction), 0.0), 1.0))

    def log(self, message: str) -> None:
        self.messages.append(message)
        self.write_output("log", message if message.endswith("\n") else message + "\n")

    def output(self, stream: str, text: str) -> None:
        """What a child process the module ran printed ("stdout" / "stderr"), for the node's output log."""
        self.write_output(stream, text)

    def load(self, kind: str, object_id: int) -> Any:
        """A saved dataset / trained model / transform by id (the engine provides the loaders)."""
        if kind not in self.loaders:
            raise ModuleError(f"Saved {kind.replace('_', ' ')}s can't be loaded here")
        return self.loaders[kind](object_id)


@dataclass
class SchemaContext:
    """Edit-time knowledge for schema inference: the columns of saved datasets."""

    dataset_schema: Callable[[int], Schema | None] = lambda dataset_id: None


class Module:
    id: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]
    subcategory: ClassVar[str] = ""
    description: ClassVar[str]
    version: ClassVar[int] = 1
    inputs: ClassVar[list[InputPort]] = []
    outputs: ClassVar[list[OutputPort]] = []
    params: ClassVar[dict[str, Param]] = {}
    # The classes and functions a trained model made with this module may hold (what skops writes for its
    # fitted estimator, beyond plain data): the union over the registry is the exact list of types a model
    # package may contain (model_types.trusted_types). A module whose estimator is built from its parameters
    # (an Initialize Model module) adds what it builds in `package_types`; declare here what that can't see,
    # e.g. the wrapper One-vs-All builds around another learner's estimator.
    model_types: ClassVar[tuple[Any, ...]] = ()
    # Shown in the catalogue and refused at run time unless the deployment enables it.
    requires_setting: ClassVar[str | None] = None
    # What Set Up Web Service does with the module (ServiceRole: keep, train, score, sample or evaluate).
    web_service: ClassVar[ServiceRole] = ServiceRole.KEEP
    # Writes outside the run (a file in workspace storage): the engine runs it every time, never from the
    # cache, since a cache hit would report it finished without doing its work.
    side_effects: ClassVar[bool] = False
    # The short line the canvas shows under the module's name, as the classic studio's node captions did:
    # segments joined by ", ", each with {parameter} placeholders ("label: {label_column}"); the canvas leaves
    # out a segment whose parameter is hidden (x-visible-when) or empty. Published in the catalogue.
    caption: ClassVar[tuple[str, ...]] = ()
    # Export as code (framework/code_forms.py): why this module has no faithful form as a plain script, for
    # modules that never will (a user's script, a read from outside); "" means "none written yet".
    no_code_reason: ClassVar[str] = ""

    @classmethod
    def code_form(cls, node: CodeNode) -> CodeForm | None:
        """This node as one function of an exported script (pandas, numpy, scikit-learn only), or None when
        the module has none; raise code_forms.NoCodeForm when these parameters have none."""
        return None

    def execute(self, inputs: Mapping[str, Any], params: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
        raise NotImplementedError

    def infer_schema(self, inputs: Mapping[str, Schema | None], params: Mapping[str, Any],
                     ctx: SchemaContext) -> dict[str, Schema | None]:
        """Output schemas without running, for edit-time checks. Unknown (None) unless a module says."""
        return {}

    def row_kernel(self, params: Mapping[str, Any], constants: Mapping[str, Any]) -> RowKernel | None:
        """`execute` for a web request's few rows without pandas (experiments/modules/framework/rows.py), given the
        inputs known when the service is compiled (`constants`: trained models, transforms). None: no kernel,
        so a service with this module on its scoring path always takes the DataFrame path."""
        return None

    def source_fingerprint(self, params: Mapping[str, Any], ctx: Context) -> str | None:
        """For modules that read from outside their inputs (a file, a URL): a hash of what they read, joined to
        the cache key, so a changed source is never answered from the cache. The engine calls it on every run,
        before looking in the cache, then calls `execute` on the same instance on a miss: a module may keep
        what it read here for `execute` rather than read it twice. Saved objects chosen by a Reference
        parameter are fingerprinted by the engine itself."""
        return None

    # --- Parameters ----------------------------------------------------------------------------

    @classmethod
    def param_message(cls, key: str, node: str | None, expected: str, value: Any) -> str:
        where = f" (node {node})" if node else ""
        return f"The '{cls.params[key].label}' parameter of {cls.name}{where} must be {expected}; got {value!r}."

    @classmethod
    def clean_params(
        cls, raw: Mapping[str, Any] | None, node: str | None = None
    ) -> tuple[dict[str, Any], list[Problem]]:
        """Every declared parameter cleaned (defaults filled in), and every problem found."""
        raw = dict(raw or {})
        cleaned: dict[str, Any] = {}
        problems = [Problem(node, f"{cls.name} has no parameter '{key}'.", parameter=key)
                    for key in raw if key not in cls.params]
        for key, param in cls.params.items():
            value = raw.get(key, param.default)
            try:
                cleaned[key] = param.clean(value)
            except ParamInvalid as invalid:
                problems.append(Problem(node, cls.param_message(key, node, str(invalid), value), parameter=key))
        if not problems:
            problems.extend(cls.check_params(cleaned, node))
        return cleaned, problems

    @classmethod
    def check_params(cls, params: Mapping[str, Any], node: str | None) -> list[Problem]:
        """Checks across parameters (e.g. minimum below maximum). None by default."""
        return []

    @classmethod
    def check_inputs(cls, params: Mapping[str, Any], inputs: Mapping[str, Schema | None],
                     node: str | None) -> list[Problem]:
        """Edit-time checks of cleaned parameters against the input schemas known before running (None where
        unknown): what a run would otherwise only find out by failing. None by default."""
        return []

    @classmethod
    def package_types(cls) -> Iterable[Any]:
        """The classes and functions a trained model made with this module may hold; the package allow-list
        (model_types.trusted_types) is their union over the registry, so the framework needn't know learners."""
        return cls.model_types

    @classmethod
    def catalogue_entry(cls) -> dict[str, Any]:
        properties = {key: param.schema() for key, param in cls.params.items()}
        return {
            "id": cls.id, "name": cls.name, "category": cls.category, "subcategory": cls.subcategory,
            "description": cls.description, "version": cls.version,
            "inputs": [port.as_json() for port in cls.inputs],
            "outputs": [port.as_json() for port in cls.outputs],
            "parameters": {"type": "object", "properties": properties, "additionalProperties": False,
                           "x-order": list(cls.params)},
            "requires_setting": cls.requires_setting,
            "caption": list(cls.caption),
        }


def table_input(inputs: Mapping[str, Any], name: str) -> DataTable:
    """A required DataTable input, with a clear error if the engine passed something else."""
    table = inputs.get(name)
    if not isinstance(table, DataTable):
        raise ModuleError(f"The '{name}' input needs a dataset")
    return table
