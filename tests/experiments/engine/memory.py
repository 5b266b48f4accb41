"""An in-memory run recorder and artifact store: the engine's two protocols without a database, so the engine's
tests run a graph with nothing but Python."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from experiments.engine.codecs import codec_for
from experiments.engine.protocols import NodeFailure, NodeLog, OutputRecords
from experiments.modules.framework.ports import PortType


class MemoryRecorder:
    """Keeps every call in `calls` and each node's last state in `states`; `cancel_when(self)` says when a
    cancel has been asked for."""

    def __init__(self, cancel_when: Callable[[MemoryRecorder], bool] = lambda recorder: False) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.states: dict[str, str] = {}
        self.failures: dict[str, NodeFailure] = {}
        self.reasons: dict[str, str] = {}
        self.logs: dict[str, NodeLog | None] = {}
        self.keys: dict[str, str] = {}
        self.cancel_when = cancel_when
        self.alive_now = False

    def node_started(self, node_id: str) -> None:
        assert self.alive_now, "a node started outside the run's heartbeat"
        self.calls.append(("started", node_id))
        self.states[node_id] = "running"

    def node_progress(self, node_id: str, fraction: float) -> None:
        self.calls.append(("progress", node_id, fraction))

    def node_finished(self, node_id: str, *, cached: bool, cache_key: str, log: NodeLog) -> None:
        self.calls.append(("finished", node_id, cached))
        self.states[node_id] = "cached" if cached else "finished"
        self.logs[node_id], self.keys[node_id] = log, cache_key

    def node_failed(self, node_id: str, failure: NodeFailure, log: NodeLog | None) -> None:
        self.calls.append(("failed", node_id))
        self.states[node_id], self.failures[node_id], self.logs[node_id] = "failed", failure, log

    def node_skipped(self, node_id: str, reason: str, log: NodeLog | None) -> None:
        self.calls.append(("skipped", node_id))
        self.states[node_id], self.reasons[node_id], self.logs[node_id] = "skipped", reason, log

    def cancel_requested(self) -> bool:
        return self.cancel_when(self)

    @contextmanager
    def alive(self) -> Iterator[None]:
        self.alive_now = True
        try:
            yield
        finally:
            self.alive_now = False

    def started(self) -> list[str]:
        return [call[1] for call in self.calls if call[0] == "started"]


class MemoryStore:
    """Outputs as bytes in a dict (through their codecs, as the real store writes them), cache entries beside."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.entries: dict[str, OutputRecords] = {}
        self.lookups: list[str] = []

    def lookup(self, key: str) -> OutputRecords | None:
        self.lookups.append(key)
        records = self.entries.get(key)
        if records is None or not all(record["path"] in self.files for record in records.values()):
            return None
        return records

    def put(self, key: str, port: str, port_type: PortType, value: Any) -> dict[str, Any]:
        path = f"{key}/{port}"
        self.files[path] = codec_for(port_type).dump(value)
        return {"path": path, "type": str(port_type), "bytes": len(self.files[path])}

    def remember(self, key: str, module_id: str, records: OutputRecords) -> None:
        self.entries[key] = records

    def get(self, record: dict[str, Any]) -> Any:
        return codec_for(PortType(record["type"])).load(self.files[record["path"]])
