"""What the engine needs from the world, as two small protocols: a run recorder (where node states, logs and
the heartbeat go, and whether someone asked to cancel) and an artifact store (outputs by cache key).

The studio's implementations (database rows, live events, Django storage) are in experiments/runner.py; the
engine's tests use in-memory ones. Nothing here knows about Django.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from experiments.modules.framework.ports import PortType

# A node's states (the strings of NodeRun.Status) and a run's outcomes (of Run.Status).
QUEUED, RUNNING, FINISHED, CACHED, FAILED, SKIPPED = "queued", "running", "finished", "cached", "failed", "skipped"
CANCELLED = "cancelled"

OutputRecords = dict[str, dict[str, Any]]  # port -> the store's record of that output


@dataclass(frozen=True)
class NodeLog:
    """What a node that started leaves for its output log (see output.py)."""

    entries: list[dict[str, str]]
    duration_ms: int | None = None

    @property
    def text(self) -> str:
        """The lines the module logged through ctx.log, as one text."""
        return "".join(entry["text"] for entry in self.entries if entry["stream"] == "log").rstrip("\n")


@dataclass(frozen=True)
class NodeFailure:
    """Why a node failed, for the user: the message and, where known, the parameter and column at fault."""

    message: str
    parameter: str = ""
    column: str = ""
    traceback: str = ""


class RunRecorder(Protocol):
    """Where a run's progress goes. Calls come in execution order, from the thread executing the run."""

    def node_started(self, node_id: str) -> None: ...

    def node_progress(self, node_id: str, fraction: float) -> None: ...

    def node_finished(self, node_id: str, *, cached: bool, cache_key: str, log: NodeLog) -> None: ...

    def node_failed(self, node_id: str, failure: NodeFailure, log: NodeLog | None) -> None: ...

    def node_skipped(self, node_id: str, reason: str, log: NodeLog | None) -> None: ...

    def cancel_requested(self) -> bool:
        """Whether someone asked to stop the run (the engine decides how often to ask)."""
        ...

    def alive(self) -> AbstractContextManager[object]:
        """Held open while the run executes: shows the run's worker is alive (a heartbeat) even while a
        module computes for minutes."""
        ...


class ArtifactStore(Protocol):
    """Node outputs kept under their cache key, and the cache entries that find them again."""

    def lookup(self, key: str) -> OutputRecords | None:
        """The outputs of the cache entry `key` if every one of them is still stored (the entry counts as
        used), else None."""
        ...

    def put(self, key: str, port: str, port_type: PortType, value: Any) -> dict[str, Any]:
        """Store one output; returns its record."""
        ...

    def remember(self, key: str, module_id: str, records: OutputRecords) -> None:
        """Record the cache entry for outputs just stored."""
        ...

    def get(self, record: dict[str, Any]) -> Any:
        """An output's value back from its record."""
        ...
