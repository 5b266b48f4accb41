"""The studio side of the engine: a run's states go to its NodeRun rows and to the experiment's channel group
(so open canvases update live), its heartbeat to the Run row, its outputs to CacheEntry rows and Django's
storage. The engine itself (experiments/engine/) knows none of this; it talks to the two protocols of
engine/protocols.py, implemented here.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from studio import workers

from .engine import store
from .engine.executor import Fingerprints, Loaders, RunEnvironment, execute_run, output_ports
from .engine.graph import parse_graph
from .engine.protocols import CACHED, FAILED, FINISHED, RUNNING, SKIPPED, NodeFailure, NodeLog, OutputRecords
from .events import experiment_event_send
from .models import CacheEntry, NodeRun, Run
from .modules.framework.ports import PortType
from .modules.framework.registry import registry

logger = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0
UNFINISHED = (NodeRun.Status.QUEUED, NodeRun.Status.RUNNING)


def run_graph(run: Run, loaders: Loaders, fingerprints: Fingerprints) -> str:
    """Execute a claimed run on this worker; returns its outcome (finished, failed or cancelled)."""
    env = RunEnvironment(workspace_id=str(run.experiment.workspace_id), loaders=loaders, fingerprints=fingerprints,
                         settings=run_settings(), log_limit=settings.ATELIER_NODE_LOG_MAX_BYTES)
    return execute_run(parse_graph(run.graph), env, RunRecord(run), CachedOutputs(), run.selected or None)


class RunRecord:
    """The engine's RunRecorder over a Run: NodeRun rows, live events, the cancel flag and the heartbeat."""

    def __init__(self, run: Run) -> None:
        self.run = run

    def node_started(self, node_id: str) -> None:
        self.update_node(node_id, status=RUNNING, started=timezone.now(), progress=0.0)

    def node_progress(self, node_id: str, fraction: float) -> None:
        self.update_node(node_id, progress=fraction)

    def node_finished(self, node_id: str, *, cached: bool, cache_key: str, log: NodeLog) -> None:
        self.update_node(node_id, status=CACHED if cached else FINISHED, finished=timezone.now(), progress=1.0,
                         cache_key=cache_key, **log_fields(log))

    def node_failed(self, node_id: str, failure: NodeFailure, log: NodeLog | None) -> None:
        self.update_node(node_id, status=FAILED, finished=timezone.now(), error=failure.message,
                         error_parameter=failure.parameter, error_column=failure.column,
                         traceback=failure.traceback, **log_fields(log))

    def node_skipped(self, node_id: str, reason: str, log: NodeLog | None) -> None:
        self.update_node(node_id, status=SKIPPED, finished=timezone.now(), progress=0.0, error=reason,
                         **log_fields(log))

    def cancel_requested(self) -> bool:
        return Run.objects.filter(pk=self.run.pk, cancel_requested=True).exists()

    def alive(self) -> AbstractContextManager[object]:
        return run_heartbeat(self.run.pk)

    def update_node(self, node_id: str, **changes: Any) -> None:
        """Only a node still queued or running changes: once cancelled from outside (its run marked cancelled
        while the worker process is being killed), nothing the engine still does overwrites that."""
        if not NodeRun.objects.filter(run=self.run, node_id=node_id, status__in=UNFINISHED).update(**changes):
            return
        event = {"type": "node", "run": self.run.pk, "node": node_id}
        event.update({key: changes[key] for key in ("status", "progress", "error") if key in changes})
        self.send(event)

    def send(self, event: dict[str, Any]) -> None:
        try:
            experiment_event_send(self.run.experiment_id, event)
        except Exception:  # live events are best effort; the database is the record
            logger.warning("Could not send a live event for run %s", self.run.pk, exc_info=True)


def log_fields(log: NodeLog | None) -> dict[str, Any]:
    """A node's output log as NodeRun fields: the log, the lines it logged, how long it took."""
    if log is None:
        return {}
    fields: dict[str, Any] = {"output": log.entries, "log": log.text}
    if log.duration_ms is not None:
        fields["duration_ms"] = log.duration_ms
    return fields


class CachedOutputs:
    """The engine's ArtifactStore: outputs in Django's storage (engine.store), found again by CacheEntry."""

    def lookup(self, key: str) -> OutputRecords | None:
        entry = CacheEntry.objects.filter(pk=key).first()
        if entry is None or not all(store.output_exists(record) for record in entry.outputs.values()):
            return None
        entry.save(update_fields=["last_used"])
        outputs: OutputRecords = entry.outputs
        return outputs

    def put(self, key: str, port: str, port_type: PortType, value: Any) -> dict[str, Any]:
        return store.save_output(key, port, port_type, value)

    def remember(self, key: str, module_id: str, records: OutputRecords) -> None:
        CacheEntry.objects.update_or_create(pk=key, defaults={
            "module": module_id, "outputs": records, "size_bytes": sum(r["bytes"] for r in records.values())})

    def get(self, record: dict[str, Any]) -> Any:
        return store.load_output(record)


class StorageFiles:
    """engine.store's Files over Django's default storage (local files or S3), looked up at each call so a
    changed STORAGES setting (tests) is followed."""

    def exists(self, path: str) -> bool:
        return bool(default_storage.exists(path))

    def read(self, path: str) -> bytes:
        with default_storage.open(path, "rb") as handle:
            return bytes(handle.read())

    def write(self, path: str, data: bytes) -> str:
        if default_storage.exists(path):
            default_storage.delete(path)
        return str(default_storage.save(path, ContentFile(data)))

    def delete(self, path: str) -> None:
        default_storage.delete(path)


def run_heartbeat(run_id: int) -> workers.Heartbeat:
    """Marks the run alive every few seconds while a module computes, so a dead worker is noticed."""
    return workers.Heartbeat(
        lambda: Run.objects.filter(pk=run_id, status=Run.Status.RUNNING).update(heartbeat=timezone.now()),
        name=f"heartbeat-run-{run_id}", seconds=HEARTBEAT_SECONDS)


def all_ports_json(run: Run) -> dict[str, list[str]]:
    """Output port names per node (for the run status response)."""
    return output_ports(parse_graph(run.graph))


def module_settings() -> dict[str, Any]:
    """The settings modules read through ctx.settings (they never import Django's), as they are now."""
    return {"ATELIER_SQL_MAX_ROWS": settings.ATELIER_SQL_MAX_ROWS,
            "ATELIER_SQL_MAX_BYTES": settings.ATELIER_SQL_MAX_BYTES}


def script_settings() -> dict[str, Any]:
    """Execute Python Script's: given to runs on the workers only (scoring never runs scripts)."""
    return {"ATELIER_ALLOW_PYTHON_SCRIPT": settings.ATELIER_ALLOW_PYTHON_SCRIPT,
            "ATELIER_PYTHON_SCRIPT_UID": settings.ATELIER_PYTHON_SCRIPT_UID}


def run_settings() -> Mapping[str, Any]:
    """What a run's modules see as ctx.settings, with the setting each module that needs one is enabled by."""
    required = {cls.requires_setting: getattr(settings, cls.requires_setting, False)
                for cls in registry.all() if cls.requires_setting}
    return {**required, **module_settings(), **script_settings()}
