"""What each process knows of its endpoints (DESIGN §5): the compiled Scorer, the key hashes and limits, cached
per (endpoint, version) and revalidated against the database at most once a second, or at once when another
process signals a change through the endpoint's marker file."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from experiments.service_kinds import PREDICTIVE, ServiceKind, service_kind
from webservices.models import Endpoint

from .scorer import Scorer

REVALIDATE_SECONDS = 1.0  # how stale an endpoint's version may be: a patch or redeploy serves within this


@dataclass
class Served:
    """What one process knows of an endpoint: enough to authenticate and score without the database."""

    endpoint_pk: int
    workspace_id: str
    primary_key_hash: str  # a KeyHolder (scoring/keys.py), like the Endpoint row
    secondary_key_hash: str
    version: int
    max_concurrent_calls: int
    trace_level: str
    input_schema: dict[str, list[dict[str, Any]]]
    output_schema: dict[str, list[dict[str, Any]]]
    scorer: Scorer
    kind: ServiceKind = PREDICTIVE
    marker: int = 0
    checked: float = field(default_factory=time.monotonic)
    in_flight: int = 0
    row_cost_ms: float | None = None  # measured CPU ms per row of calls the row kernels answered (None: not yet)

    def observe_fast(self, rows: int, cpu_ms: float) -> None:
        """Fold one fast-path call's CPU time into the per-row estimate the inline decision reads."""
        per_row = cpu_ms / max(rows, 1)
        known = self.row_cost_ms
        self.row_cost_ms = per_row if known is None else 0.8 * known + 0.2 * per_row


_served: dict[str, Served] = {}
_lock = threading.Lock()


def _fresh(endpoint_id: str, known: Served | None) -> Served | None:
    """Reload the endpoint's facts; compile a new Scorer only when its version moved."""
    endpoint = (Endpoint.objects.select_related("service__current").filter(endpoint_id=endpoint_id).first())
    if endpoint is None or endpoint.service.current is None:
        return None
    deployment = endpoint.service.current
    if known is not None and known.version == endpoint.version and known.endpoint_pk == endpoint.pk:
        known.primary_key_hash, known.secondary_key_hash = endpoint.primary_key_hash, endpoint.secondary_key_hash
        known.max_concurrent_calls, known.checked = endpoint.max_concurrent_calls, time.monotonic()
        known.trace_level = endpoint.diagnostics_trace_level
        return known
    resources = resources_patched(deployment.resources, endpoint.resources)
    return Served(endpoint.pk, endpoint.service.workspace_id, endpoint.primary_key_hash, endpoint.secondary_key_hash,
                  endpoint.version, endpoint.max_concurrent_calls, endpoint.diagnostics_trace_level,
                  deployment.input_schema, deployment.output_schema,
                  Scorer(deployment.graph, resources, input_schema=deployment.input_schema),
                  service_kind(endpoint.service.kind))


def resources_patched(snapshot: list[dict[str, Any]], patches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The snapshot's resources with an endpoint's patched ones (same Name) in their place."""
    by_name = {patch["Name"]: patch for patch in patches or []}
    return [{**resource, **by_name[resource["Name"]]} if resource["Name"] in by_name else resource
            for resource in snapshot]


def _marker_path(endpoint_id: str) -> str:
    return os.path.join(settings.VAR_DIR, "endpoints", endpoint_id)


def _marker(endpoint_id: str) -> int:
    try:
        return os.stat(_marker_path(endpoint_id)).st_mtime_ns
    except OSError:
        return 0


def signal_change(endpoint_id: str) -> None:
    """Tell every process on this machine that the endpoint changed (a patch, a rollback): each one sees the
    marker's new time on its next request (one stat, ~1 µs) and reloads, instead of within a second."""
    path = _marker_path(endpoint_id)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a"):
        pass
    now = time.time_ns()
    os.utime(path, ns=(now, max(now, _marker(endpoint_id) + 1)))


def _current(known: Served | None, endpoint_id: str) -> bool:
    return known is not None and time.monotonic() - known.checked < REVALIDATE_SECONDS \
        and _marker(endpoint_id) == known.marker


def cached(endpoint_id: str) -> Served | None:
    """The endpoint's state when this process knows it and it is current (no database, no lock)."""
    known = _served.get(endpoint_id)
    return known if _current(known, endpoint_id) else None


def served(endpoint_id: str) -> Served | None:
    """The endpoint's compiled state, revalidated against the database at most once a second."""
    known = _served.get(endpoint_id)
    if _current(known, endpoint_id):
        return known
    with _lock:
        known = _served.get(endpoint_id)
        if _current(known, endpoint_id):
            return known
        marker = _marker(endpoint_id)  # read before the database: a change after it is seen next time
        fresh = _fresh(endpoint_id, known)
        if fresh is not None:
            fresh.marker = marker
        if fresh is None:
            _served.pop(endpoint_id, None)
        else:
            _served[endpoint_id] = fresh
        return fresh


def forget_all() -> None:
    """Drop every compiled scorer (tests; a process that wants a clean start)."""
    with _lock:
        _served.clear()
