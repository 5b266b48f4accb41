"""Execute a run: nodes in topological order, cached nodes reused, every state change reported.

The executor knows no database, no Celery and no channel layer: it reports to a RunRecorder and keeps outputs
in an ArtifactStore (protocols.py). The studio's run adapter (experiments/runner.py) gives it the database
and live events; the engine's tests give it memory. A failing node keeps its error and traceback; what
depends on it is `skipped`.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from experiments.modules.framework.base import Cancelled, Context, Module, ModuleError

from .cache import cache_key, input_key
from .codecs import codec_for
from .graph import Graph
from .output import NodeOutput, captured
from .protocols import CANCELLED, FAILED, FINISHED, ArtifactStore, NodeFailure, NodeLog, OutputRecords, RunRecorder

PROGRESS_INTERVAL = 0.5
CANCEL_POLL_INTERVAL = 1.0
ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))

Loaders = Mapping[str, Callable[[int], Any]]
Fingerprints = Callable[[str, Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class RunEnvironment:
    """What a run may use besides its graph: its workspace (part of every cache key), the loaders of saved
    objects, their fingerprints, the settings modules read through ctx.settings, and the output log's bound."""

    workspace_id: str
    loaders: Loaders = field(default_factory=dict)
    fingerprints: Fingerprints = lambda module_id, params: None
    settings: Mapping[str, Any] = field(default_factory=dict)
    log_limit: int = 256 * 1024


class RunExecutor:
    """One run of a graph (or of the part of it the selected nodes need)."""

    def __init__(self, graph: Graph, env: RunEnvironment, recorder: RunRecorder, artifacts: ArtifactStore,
                 selected: list[str] | None = None) -> None:
        self.graph = graph
        self.env = env
        self.recorder = recorder
        self.artifacts = artifacts
        self.selected = selected or []
        self.keys: dict[str, str] = {}
        self.records: dict[str, OutputRecords] = {}  # node id -> {port: stored output record}
        self.values: dict[tuple[str, str], Any] = {}
        self.logs: dict[str, NodeOutput] = {}  # node id -> its output log while it runs
        self.began: dict[str, float] = {}
        self._last_cancel_poll = 0.0

    # --- The run -------------------------------------------------------------------------------

    def execute(self) -> str:
        """Run every planned node; returns the run's outcome: finished, failed or cancelled."""
        with self.recorder.alive():
            return self._execute()

    def _execute(self) -> str:
        broken: set[str] = set()
        cancelled = False
        for node_id in self.planned_nodes():
            if not cancelled and self.cancel_requested(force=True):
                cancelled = True
            if cancelled or broken & self.upstream(node_id):
                self.recorder.node_skipped(node_id, "Cancelled" if cancelled else "Skipped: an upstream node failed",
                                           None)
                broken.add(node_id)
                continue
            try:
                self.run_node(node_id)
            except Cancelled:
                cancelled = True
                self.recorder.node_skipped(node_id, "Cancelled while running", self.node_log(node_id))
                broken.add(node_id)
            except Exception as error:  # any failure inside a module becomes that node's error
                self.recorder.node_failed(node_id, failure_of(error), self.node_log(node_id))
                broken.add(node_id)
        if cancelled:
            return CANCELLED
        return FAILED if broken else FINISHED

    def planned_nodes(self) -> list[str]:
        wanted = self.graph.ancestors_and_self(self.selected) if self.selected else set(self.graph.nodes)
        return [node_id for node_id in self.graph.order() if node_id in wanted]

    def upstream(self, node_id: str) -> set[str]:
        return {edge.source for edge in self.graph.incoming(node_id).values()}

    # --- One node ------------------------------------------------------------------------------

    def run_node(self, node_id: str) -> None:
        node, module_cls = self.graph.nodes[node_id], self.graph.module(node_id)
        params, problems = module_cls.clean_params(node.params, node_id)
        if problems:
            raise ModuleError(problems[0].message, parameter=problems[0].parameter)
        if module_cls.requires_setting and not self.env.settings.get(module_cls.requires_setting, False):
            raise ModuleError(f"{module_cls.name} is disabled on this installation "
                              f"(set {module_cls.requires_setting}=1 to enable it).")
        ctx = self.context(node_id)
        self.recorder.node_started(node_id)
        self.began[node_id] = time.monotonic()
        module = module_cls()
        with captured(self.logs[node_id]):
            key = self.keys[node_id] = self.node_key(node_id, module, params, ctx)
        if not module_cls.side_effects and self.reuse(node_id, key):
            self.recorder.node_finished(node_id, cached=True, cache_key=key, log=self.started_log(node_id))
            return
        incoming = self.graph.incoming(node_id)
        inputs = {port: self.value(edge.source, edge.source_port) for port, edge in incoming.items()}
        with captured(self.logs[node_id]):
            outputs = module.execute(inputs, params, ctx)
        self.store_outputs(node_id, key, module_cls, outputs)
        self.recorder.node_finished(node_id, cached=False, cache_key=key, log=self.started_log(node_id))

    def node_log(self, node_id: str) -> NodeLog | None:
        """What a node leaves for its output log: nothing if it never got as far as starting."""
        output = self.logs.get(node_id)
        if output is None:
            return None
        began = self.began.get(node_id)
        duration = int((time.monotonic() - began) * 1000) if began is not None else None
        return NodeLog(output.entries, duration)

    def started_log(self, node_id: str) -> NodeLog:
        log = self.node_log(node_id)
        assert log is not None, "a node that ran has a log"
        return log

    def node_key(self, node_id: str, module: Module, params: Mapping[str, Any], ctx: Context) -> str:
        """The cache key: module, version, parameters, inputs, the workspace, and what the module read from
        outside (saved objects it references, a source's content), so no other workspace's work and nothing
        computed from an older source is reused."""
        fingerprints = [self.env.fingerprints(module.id, params), module.source_fingerprint(params, ctx)]
        inputs = {port: input_key(self.keys[edge.source], edge.source_port)
                  for port, edge in self.graph.incoming(node_id).items()}
        return cache_key(module=module.id, version=module.version, params=params, inputs=inputs,
                         workspace=self.env.workspace_id,
                         fingerprint=",".join(f for f in fingerprints if f) or None)

    def reuse(self, node_id: str, key: str) -> bool:
        """Take a node's outputs from the cache when all of them are still stored."""
        records = self.artifacts.lookup(key)
        if records is None:
            return False
        self.records[node_id] = records
        return True

    def context(self, node_id: str) -> Context:
        last = [0.0]
        output = self.logs[node_id] = NodeOutput(self.env.log_limit)

        def report(fraction: float) -> None:
            self.check_cancel()
            if time.monotonic() - last[0] >= PROGRESS_INTERVAL:
                last[0] = time.monotonic()
                self.recorder.node_progress(node_id, fraction)

        return Context(node_id=node_id, workspace_id=self.env.workspace_id, report_progress=report,
                       loaders=self.env.loaders, settings=dict(self.env.settings), write_output=output.write)

    def store_outputs(self, node_id: str, key: str, module_cls: type[Module], outputs: Mapping[str, Any]) -> None:
        records = {}
        for port in module_cls.outputs:
            value = outputs.get(port.name)
            if not codec_for(port.type).accepts(value):
                raise ModuleError(f"{module_cls.name} produced no {port.type} on its '{port.name}' output")
            records[port.name] = self.artifacts.put(key, port.name, port.type, value)
            self.values[(node_id, port.name)] = value
        self.artifacts.remember(key, module_cls.id, records)
        self.records[node_id] = records

    def value(self, node_id: str, port: str) -> Any:
        if (node_id, port) not in self.values:
            self.values[(node_id, port)] = self.artifacts.get(self.records[node_id][port])
        return self.values[(node_id, port)]

    # --- Cancelling ----------------------------------------------------------------------------

    def cancel_requested(self, force: bool = False) -> bool:
        """Asks the recorder at most once a second while a module reports progress; always between nodes."""
        now = time.monotonic()
        if not force and now - self._last_cancel_poll < CANCEL_POLL_INTERVAL:
            return False
        self._last_cancel_poll = now
        return self.recorder.cancel_requested()

    def check_cancel(self) -> None:
        if self.cancel_requested():
            raise Cancelled()


def execute_run(graph: Graph, env: RunEnvironment, recorder: RunRecorder, artifacts: ArtifactStore,
                selected: list[str] | None = None) -> str:
    """Execute a graph (or what the selected nodes need); returns finished, failed or cancelled."""
    return RunExecutor(graph, env, recorder, artifacts, selected).execute()


def failure_of(error: Exception) -> NodeFailure:
    """A node's failure as the user reads it: a ModuleError's own message, anything else named by its type."""
    message = str(error) if isinstance(error, ModuleError) else f"{type(error).__name__}: {error}"
    return NodeFailure(message, parameter=getattr(error, "parameter", None) or "",
                       column=getattr(error, "column", None) or "",
                       traceback=getattr(error, "details", None) or module_traceback(error))


def module_traceback(error: BaseException) -> str:
    """The traceback from where the engine called into the module: the executor's own frames say nothing to
    the person reading a failed node's log."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename.startswith(ENGINE_DIR):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


def output_ports(graph: Graph) -> dict[str, list[str]]:
    """Output port names per node (for the run status response)."""
    return {node_id: [port.name for port in graph.module(node_id).outputs] for node_id in graph.nodes}


__all__ = ["RunEnvironment", "RunExecutor", "execute_run", "failure_of", "module_traceback", "output_ports"]
