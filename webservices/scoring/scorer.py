"""The hot path (DESIGN §5): a deployment snapshot compiled into a Scorer, cached per (endpoint, version).

A Scorer holds the predictive graph's steps in execution order with every artifact already loaded (trained
models, transforms, lookup datasets), so a request only builds its table, runs the module callables on it
in memory and formats the result: no ORM query, no model load, no Celery hop per request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from experiments.conversion import INPUT_MODULE, OUTPUT_MODULE
from experiments.engine import store
from experiments.engine.graph import parse_graph
from experiments.modules.framework.artifacts import ArtifactError, Transform
from experiments.modules.framework.base import Context, Module, ModuleError
from experiments.modules.framework.datatable import DataTable
from experiments.modules.framework.params import Reference
from experiments.modules.framework.ports import PortType
from experiments.modules.framework.rows import NotFast, RowKernel, Rows
from experiments.runner import module_settings
from studio.errors import AtelierError

from .labels import optional_columns, supplied, without

KINDS = {"TrainedModel": ("trained_model", PortType.TRAINED_MODEL), "Transform": ("transform", PortType.TRANSFORM),
         "Dataset": ("dataset", PortType.DATA_TABLE)}


MODULE_FAILED = "ModuleExecutionError"  # the classic class (400) for a module failing on the request's data


class ScoringError(AtelierError):
    """A request the service can't score; `target` names the input or module, `status` the HTTP status,
    `detail` the classic specific code where there is one (wire.DETAIL_CODES)."""

    code = "BadArgument"
    detail = ""

    def __init__(self, message: str = "", *, code: str | None = None, status: int | None = None,
                 target: str | None = None, detail: str = "") -> None:
        super().__init__(message, code=code, status=status, target=target)
        self.detail = detail


@dataclass(frozen=True)
class Step:
    node: str
    module: Module
    name: str
    params: dict[str, Any]
    inputs: tuple[tuple[str, str, str], ...]  # (input port, source node, source port)


def _load_resource(resource: Mapping[str, Any], read: Callable[[str], bytes], labels: set[str]) -> Any:
    """An artifact from its file, refused when its bytes are not the ones deployed; a transform learns the
    service's labels (scoring/labels.py)."""
    _, port_type = KINDS[resource["Kind"]]
    data = read(resource["Path"])
    if hashlib.sha256(data).hexdigest() != resource["Sha256"]:
        raise ArtifactError(f"The deployed {resource['Kind']} '{resource['Name']}' was altered or damaged")
    loaded = store.load(port_type, data)
    return loaded.served(labels) if isinstance(loaded, Transform) and labels else loaded


class Scorer:
    """One deployment, compiled: call `score({"input1": DataTable})` -> {"output1": DataTable}."""

    def __init__(self, graph: Mapping[str, Any], resources: Sequence[Mapping[str, Any]],
                 read: Callable[[str], bytes] = store.read_bytes,
                 input_schema: Mapping[str, Sequence[Mapping[str, Any]]] | None = None) -> None:
        """`read` gives a resource file's bytes (the dry run's child is handed them: webservices/dry_run.py);
        `input_schema` the deployment's, whose optional columns (the label) a request may leave out."""
        parsed = parse_graph(graph)
        self.optional = optional_columns(input_schema or {})
        labels = {column.name for columns in self.optional.values() for column in columns}
        self.inputs = {str(n.params.get("name", "input1")): n.id for n in parsed.nodes.values()
                       if n.module == INPUT_MODULE}
        self.outputs = {str(n.params.get("name", "output1")): n.id for n in parsed.nodes.values()
                        if n.module == OUTPUT_MODULE}
        # What reaches each output: a table, or for a retraining service a trained model or an evaluation.
        self.output_sources = {name: (edge.source, edge.source_port) for name, node_id in self.outputs.items()
                               for edge in parsed.incoming(node_id).values()}
        loaded: dict[str, dict[int, Any]] = {kind: {} for kind, _ in KINDS.values()}
        for resource in resources:
            kind, _ = KINDS[resource["Kind"]]
            object_id = resource.get("Asset", resource.get("Dataset"))
            loaded[kind][int(object_id)] = _load_resource(resource, read, labels)
        self._loaders = {kind: values.__getitem__ for kind, values in loaded.items()}
        needed = self._needed(parsed)
        self.parameters = {web.name: web for web in parsed.web_parameters if web.node in needed}
        steps: list[Step] = []
        for node_id in parsed.order():
            if node_id not in needed or node_id in self.inputs.values():
                continue
            module_cls = parsed.module(node_id)
            params, problems = module_cls.clean_params(parsed.nodes[node_id].params, node_id)
            if problems:
                raise ScoringError(problems[0].message, target=node_id, code="InternalError", status=500)
            for key, param in module_cls.params.items():
                if isinstance(param, Reference) and params.get(key) is not None and params[key] not in loaded[param.to]:
                    raise ScoringError(f"Node {node_id} needs a {param.to} that is not in the deployment",
                                       target=node_id, code="InternalError", status=500)
            incoming = tuple(sorted((port, e.source, e.source_port) for port, e in parsed.incoming(node_id).items()))
            steps.append(Step(node_id, module_cls(), module_cls.name, params, incoming))
        self.constants, self.steps = self._fold(steps)
        self.fast = self._kernels() if not self.parameters else None

    def _fold(self, steps: list[Step]) -> tuple[dict[tuple[str, str], Any], list[Step]]:
        """Run once, now, the steps that don't depend on a request (trained models, transforms, datasets):
        their outputs are constants. A step that fails here stays on the request path, which reports it."""
        constants: dict[tuple[str, str], Any] = {}
        dynamic = set(self.inputs.values()) | {web.node for web in self.parameters.values()}
        remaining = []
        for step in steps:
            if step.node not in dynamic and all(source not in dynamic for _, source, _ in step.inputs):
                inputs = {port: constants[(source, source_port)] for port, source, source_port in step.inputs}
                ctx = Context(node_id=step.node, loaders=self._loaders, settings=module_settings())
                try:
                    outputs = step.module.execute(inputs, step.params, ctx)
                except Exception:  # reported per request instead
                    outputs = None
                if outputs is not None:
                    constants.update({(step.node, port): value for port, value in outputs.items()})
                    continue
            dynamic.add(step.node)
            remaining.append(step)
        return constants, remaining

    def _kernels(self) -> list[tuple[Step, RowKernel]] | None:
        """Every request-dependent step's row kernel, or None when one has none (DataFrame path only)."""
        kernels = []
        for step in self.steps:
            constants = {port: self.constants[(source, source_port)] for port, source, source_port in step.inputs
                         if (source, source_port) in self.constants}
            kernel = step.module.row_kernel(step.params, constants)
            if kernel is None:
                return None
            kernels.append((step, kernel))
        return kernels

    def score_rows(self, rows: Mapping[str, Rows]) -> dict[str, Rows]:
        """The fast path for small requests: the same results as `score`, or NotFast (then call `score`)."""
        if self.fast is None:
            raise NotFast
        rows, supplied_names = self._supplied(rows)
        values = {**self.constants, **{(self.inputs[name], "dataset"): table for name, table in rows.items()}}
        for step, kernel in self.fast:
            try:
                outputs = kernel({port: values[(source, source_port)] for port, source, source_port in step.inputs})
            except (ValueError, KeyError, TypeError, IndexError):
                raise NotFast from None  # the DataFrame path words the error
            for port, value in outputs.items():
                values[(step.node, port)] = value
        return {name: without(values[(node_id, "dataset")], supplied_names) for name, node_id in self.outputs.items()}

    def _supplied(self, tables: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """The inputs with the optional columns a request left out added empty, and their names."""
        done: dict[str, Any] = {}
        names: list[str] = []
        for name, table in tables.items():
            done[name], added = supplied(table, self.optional.get(name, []))
            names += added
        return done, names

    def _needed(self, graph: Any) -> set[str]:
        """What the outputs depend on, where a Web service input is a source (its sample data is not used)."""
        wanted: set[str] = set()
        stack = list(self.outputs.values())
        while stack:
            node_id = stack.pop()
            if node_id in wanted:
                continue
            wanted.add(node_id)
            if node_id not in self.inputs.values():
                stack.extend(edge.source for edge in graph.incoming(node_id).values())
        return wanted

    def overrides(self, given: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """{node: cleaned params} for a call's GlobalParameters (defaults where the call is silent)."""
        unknown = sorted(set(given) - set(self.parameters))
        if unknown:
            takes = ", ".join(sorted(self.parameters)) or "none"
            raise ScoringError(f"Unknown global parameter '{unknown[0]}'; this service takes: {takes}.",
                               target=unknown[0], code="BadUserArgument", detail="UnexpectedParameter")
        changed: dict[str, dict[str, Any]] = {}
        for name, web in self.parameters.items():
            value = given.get(name, web.default)
            if value is None:
                continue
            step = next(step for step in self.steps if step.node == web.node)
            raw = {**changed.get(web.node, step.params), web.parameter: value}
            cleaned, problems = type(step.module).clean_params(raw, web.node)
            wrong = [p for p in problems if p.parameter == web.parameter]
            if wrong:
                raise ScoringError(f"Global parameter '{name}': {wrong[0].message}", target=name,
                                   code="BadUserArgument", detail="UserParameterInvalid")
            changed[web.node] = cleaned
        return changed

    def score(self, tables: Mapping[str, DataTable],
              global_parameters: Mapping[str, Any] | None = None) -> dict[str, DataTable]:
        tables, supplied_names = self._supplied(tables)
        values = self.values(tables, global_parameters)
        return {name: without(values[(node_id, "dataset")], supplied_names) for name, node_id in self.outputs.items()}

    def values(self, tables: Mapping[str, DataTable],
               global_parameters: Mapping[str, Any] | None = None) -> dict[tuple[str, str], Any]:
        """Every (node, port) value of one request, constants included."""
        values: dict[tuple[str, str], Any] = {**self.constants,
                                              **{(self.inputs[name], "dataset"): t for name, t in tables.items()}}
        params = self.overrides(global_parameters or {}) if self.parameters or global_parameters else {}
        ctx = Context(loaders=self._loaders, settings=module_settings())
        for step in self.steps:
            inputs = {port: values[(source, source_port)] for port, source, source_port in step.inputs}
            ctx.node_id = step.node
            try:
                outputs = step.module.execute(inputs, params.get(step.node, step.params), ctx)
            except ModuleError as error:
                raise ScoringError(f"{step.name}: {error}", target=step.node, code=MODULE_FAILED) from None
            except (ValueError, KeyError, TypeError) as error:  # a module meeting data it can't take
                raise ScoringError(f"{step.name} could not process the input: {error}", target=step.node,
                                   code=MODULE_FAILED) from None
            for port, value in outputs.items():
                values[(step.node, port)] = value
        return values
