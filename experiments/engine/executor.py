"""Execute a run: nodes in topological order, cached nodes reused, every state change reported.

The executor owns no Django views and no Celery: `experiments.tasks.run_experiment` calls `execute_run`
on a worker. Each node's state goes to its NodeRun row and to the experiment's channel group, so open
canvases update live. A failing node keeps its error and traceback; what depends on it is `skipped`.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.utils import timezone

from experiments.events import experiment_event_send
from experiments.models import CacheEntry, NodeRun, Run
from experiments.modules.framework.base import Cancelled, Context, Module, ModuleError
from experiments.modules.framework.ports import PortType
from studio import workers

from . import store
from .cache import cache_key, input_key
from .graph import Graph, parse_graph
from .output import NodeOutput, captured

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0
PROGRESS_INTERVAL = 0.5
CANCEL_POLL_INTERVAL = 1.0
UNFINISHED = (NodeRun.Status.QUEUED, NodeRun.Status.RUNNING)
ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))

Loaders = Mapping[str, Callable[[int], Any]]


class RunExecutor:
    def __init__(self, run: Run, loaders: Loaders, fingerprints: Callable[[str, Mapping[str, Any]], str | None]):
        self.run = run
        self.graph: Graph = parse_graph(run.graph)
        self.loaders = loaders
        self.fingerprints = fingerprints
        self.workspace_id = str(run.experiment.workspace_id)
        self.keys: dict[str, str] = {}
        self.records: dict[str, dict[str, Any]] = {}  # node id -> {port: stored output record}
        self.values: dict[tuple[str, str], Any] = {}
        self.node_runs = {node_run.node_id: node_run for node_run in run.node_runs.all()}
        self.logs: dict[str, NodeOutput] = {}  # node id -> its output log while it runs
        self.began: dict[str, float] = {}
        self._last_cancel_poll = 0.0

    # --- The run -------------------------------------------------------------------------------

    def execute(self) -> str:
        broken: set[str] = set()
        cancelled = False
        for node_id in self.planned_nodes():
            if not cancelled and self.cancel_requested(force=True):
                cancelled = True
            if cancelled or broken & self.upstream(node_id):
                self.finish_node(node_id, NodeRun.Status.SKIPPED,
                                 error="Cancelled" if cancelled else "Skipped: an upstream node failed")
                broken.add(node_id)
                continue
            try:
                self.run_node(node_id)
            except Cancelled:
                cancelled = True
                self.finish_node(node_id, NodeRun.Status.SKIPPED, error="Cancelled while running",
                                 **self.log_fields(node_id))
                broken.add(node_id)
            except Exception as error:  # any failure inside a module becomes that node's error
                self.fail_node(node_id, error)
                broken.add(node_id)
        if cancelled:
            return Run.Status.CANCELLED
        return Run.Status.FAILED if broken else Run.Status.FINISHED

    def planned_nodes(self) -> list[str]:
        wanted = self.graph.ancestors_and_self(self.run.selected) if self.run.selected else set(self.graph.nodes)
        return [node_id for node_id in self.graph.order() if node_id in wanted]

    def upstream(self, node_id: str) -> set[str]:
        return {edge.source for edge in self.graph.incoming(node_id).values()}

    # --- One node ------------------------------------------------------------------------------

    def run_node(self, node_id: str) -> None:
        node, module_cls = self.graph.nodes[node_id], self.graph.module(node_id)
        params, problems = module_cls.clean_params(node.params, node_id)
        if problems:
            raise ModuleError(problems[0].message, parameter=problems[0].parameter)
        if module_cls.requires_setting and not getattr(settings, module_cls.requires_setting, False):
            raise ModuleError(f"{module_cls.name} is disabled on this installation "
                              f"(set {module_cls.requires_setting}=1 to enable it).")
        ctx = self.context(node_id)
        self.update_node(node_id, status=NodeRun.Status.RUNNING, started=timezone.now(), progress=0.0)
        self.began[node_id] = time.monotonic()
        module = module_cls()
        with captured(self.logs[node_id]):
            key = self.keys[node_id] = self.node_key(node_id, module, params, ctx)
        if not module_cls.side_effects and self.reuse(node_id, key):
            self.finish_node(node_id, NodeRun.Status.CACHED, cache_key=key, **self.log_fields(node_id))
            return
        incoming = self.graph.incoming(node_id)
        inputs = {port: self.value(edge.source, edge.source_port) for port, edge in incoming.items()}
        with captured(self.logs[node_id]):
            outputs = module.execute(inputs, params, ctx)
        self.store_outputs(node_id, key, module_cls, outputs)
        self.finish_node(node_id, NodeRun.Status.FINISHED, cache_key=key, **self.log_fields(node_id))

    def log_fields(self, node_id: str) -> dict[str, Any]:
        """What a node that ran leaves for its output log: the log, the lines it logged, how long it took."""
        output = self.logs.get(node_id)
        fields: dict[str, Any] = {"output": output.entries} if output is not None else {}
        if output is not None:
            fields["log"] = "".join(e["text"] for e in output.entries if e["stream"] == "log").rstrip("\n")
        if node_id in self.began:
            fields["duration_ms"] = int((time.monotonic() - self.began[node_id]) * 1000)
        return fields

    def node_key(self, node_id: str, module: Module, params: Mapping[str, Any], ctx: Context) -> str:
        """The cache key: module, version, parameters, inputs, the workspace, and what the module read from
        outside (saved objects it references, a source's content), so no other workspace's work and nothing
        computed from an older source is reused."""
        fingerprints = [self.fingerprints(module.id, params), module.source_fingerprint(params, ctx)]
        inputs = {port: input_key(self.keys[edge.source], edge.source_port)
                  for port, edge in self.graph.incoming(node_id).items()}
        return cache_key(module=module.id, version=module.version, params=params, inputs=inputs,
                         workspace=self.workspace_id, fingerprint=",".join(f for f in fingerprints if f) or None)

    def reuse(self, node_id: str, key: str) -> bool:
        """Take a node's outputs from the cache when all of them are still stored."""
        entry = CacheEntry.objects.filter(pk=key).first()
        if entry is None or not all(store.output_exists(record) for record in entry.outputs.values()):
            return False
        entry.save(update_fields=["last_used"])
        self.records[node_id] = entry.outputs
        return True

    def context(self, node_id: str) -> Context:
        last = [0.0]
        output = self.logs[node_id] = NodeOutput(settings.ATELIER_NODE_LOG_MAX_BYTES)

        def report(fraction: float) -> None:
            self.check_cancel()
            if time.monotonic() - last[0] >= PROGRESS_INTERVAL:
                last[0] = time.monotonic()
                self.update_node(node_id, progress=fraction)

        return Context(node_id=node_id, workspace_id=self.workspace_id, report_progress=report,
                       loaders=self.loaders, settings={**module_settings(), **script_settings()},
                       write_output=output.write)

    def store_outputs(self, node_id: str, key: str, module_cls: Any, outputs: Mapping[str, Any]) -> None:
        records = {}
        for port in module_cls.outputs:
            value = outputs.get(port.name)
            if not isinstance(value, store.expected_type(port.type)):
                raise ModuleError(f"{module_cls.name} produced no {port.type} on its '{port.name}' output")
            records[port.name] = store.save_output(key, port.name, port.type, value)
            self.values[(node_id, port.name)] = value
        CacheEntry.objects.update_or_create(pk=key, defaults={
            "module": module_cls.id, "outputs": records, "size_bytes": sum(r["bytes"] for r in records.values())})
        self.records[node_id] = records

    def value(self, node_id: str, port: str) -> Any:
        if (node_id, port) not in self.values:
            self.values[(node_id, port)] = store.load_output(self.records[node_id][port])
        return self.values[(node_id, port)]

    # --- States and events ---------------------------------------------------------------------

    def update_node(self, node_id: str, **changes: Any) -> None:
        """Only a node still queued or running changes: once cancelled from outside (its run marked cancelled
        while the worker process is being killed), nothing this executor still does overwrites that."""
        if not NodeRun.objects.filter(run=self.run, node_id=node_id, status__in=UNFINISHED).update(**changes):
            return
        event = {"type": "node", "run": self.run.pk, "node": node_id}
        event.update({key: changes[key] for key in ("status", "progress", "error") if key in changes})
        self.send(event)

    def finish_node(self, node_id: str, status: str, **changes: Any) -> None:
        progress = 1.0 if status in (NodeRun.Status.FINISHED, NodeRun.Status.CACHED) else 0.0
        self.update_node(node_id, status=status, finished=timezone.now(), progress=progress, **changes)

    def fail_node(self, node_id: str, error: Exception) -> None:
        message = str(error) if isinstance(error, ModuleError) else f"{type(error).__name__}: {error}"
        self.update_node(node_id, status=NodeRun.Status.FAILED, finished=timezone.now(), error=message,
                         error_parameter=getattr(error, "parameter", None) or "",
                         error_column=getattr(error, "column", None) or "",
                         traceback=getattr(error, "details", None) or module_traceback(error),
                         **self.log_fields(node_id))

    def send(self, event: dict[str, Any]) -> None:
        try:
            experiment_event_send(self.run.experiment_id, event)
        except Exception:  # live events are best effort; the database is the record
            logger.warning("Could not send a live event for run %s", self.run.pk, exc_info=True)

    def cancel_requested(self, force: bool = False) -> bool:
        now = time.monotonic()
        if not force and now - self._last_cancel_poll < CANCEL_POLL_INTERVAL:
            return False
        self._last_cancel_poll = now
        return Run.objects.filter(pk=self.run.pk, cancel_requested=True).exists()

    def check_cancel(self) -> None:
        if self.cancel_requested():
            raise Cancelled()


def run_heartbeat(run_id: int) -> workers.Heartbeat:
    """Marks the run alive every few seconds while a module computes, so a dead worker is noticed."""
    return workers.Heartbeat(
        lambda: Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).update(heartbeat=timezone.now()),
        name=f"heartbeat-run-{run_id}", seconds=HEARTBEAT_SECONDS)


def module_traceback(error: BaseException) -> str:
    """The traceback from where the engine called into the module: the executor's own frames say nothing to
    the person reading a failed node's log."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename.startswith(ENGINE_DIR):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(error), error, tb))


def all_ports_json(run: Run) -> dict[str, list[str]]:
    """Output port names per node (for the run status response)."""
    graph = parse_graph(run.graph)
    return {node_id: [port.name for port in graph.module(node_id).outputs] for node_id in graph.nodes}


def module_settings() -> dict[str, Any]:
    """The settings modules read through ctx.settings (they never import Django's), as they are now."""
    return {"ATELIER_SQL_MAX_ROWS": settings.ATELIER_SQL_MAX_ROWS,
            "ATELIER_SQL_MAX_BYTES": settings.ATELIER_SQL_MAX_BYTES}


def script_settings() -> dict[str, Any]:
    """Execute Python Script's: given to runs on the workers only (scoring never runs scripts)."""
    return {"ATELIER_ALLOW_PYTHON_SCRIPT": settings.ATELIER_ALLOW_PYTHON_SCRIPT,
            "ATELIER_PYTHON_SCRIPT_UID": settings.ATELIER_PYTHON_SCRIPT_UID}


__all__ = ["PortType", "RunExecutor", "all_ports_json", "module_settings", "run_heartbeat", "script_settings"]

