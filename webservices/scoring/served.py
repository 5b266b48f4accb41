"""What each process knows of its endpoints (DESIGN §5): the compiled Scorer, the key hashes and limits, cached
per (endpoint, version) and revalidated against the database at most once a second, or at once when another
process signals a change.

The signal crosses hosts: `signal_change` publishes the endpoint's id on a Redis channel, and each process that
serves endpoints keeps one subscriber thread that bumps the endpoint's generation in a dict. A request compares
that generation with the one its cached state was loaded at (a dict lookup, no network round trip, no stat), so
a web process on another machine serves a PATCH on its next request. Should Redis be unreachable, messages are
lost: the once-a-second database check is the fallback, and on reconnecting every cached endpoint is revalidated.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import redis
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
    generation: int = 0  # the endpoint's change generation when this state was loaded
    checked: float = field(default_factory=time.monotonic)
    in_flight: int = 0
    row_cost_ms: float | None = None  # measured CPU ms per row of calls the row kernels answered (None: not yet)
    deployment_pk: int = 0
    input_profile: dict[str, Any] = field(default_factory=dict)  # the training data's summary (drift.py)
    endpoint_id: str = ""
    name: str = ""  # the endpoint's name, in the X-Atelier-Endpoint header of each answer it serves
    # a default endpoint's traffic split (webservices/traffic.py): (cumulative share, endpoint id) per endpoint
    # taking calls, empty when all are its own; and the endpoints that get a copy of each call (shadows)
    routes: tuple[tuple[float, str], ...] = ()
    shadows: tuple[str, ...] = ()

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
        known.name, (known.routes, known.shadows) = endpoint.name, _traffic(endpoint)
        return known
    resources = resources_patched(deployment.resources, endpoint.resources)
    routed, shadows = _traffic(endpoint)
    return Served(endpoint.pk, endpoint.service.workspace_id, endpoint.primary_key_hash, endpoint.secondary_key_hash,
                  endpoint.version, endpoint.max_concurrent_calls, endpoint.diagnostics_trace_level,
                  deployment.input_schema, deployment.output_schema,
                  Scorer(deployment.graph, resources, input_schema=deployment.input_schema),
                  service_kind(endpoint.service.kind), deployment_pk=deployment.pk,
                  input_profile=deployment.input_profile, endpoint_id=endpoint.endpoint_id, name=endpoint.name,
                  routes=routed, shadows=shadows)


def _traffic(endpoint: Endpoint) -> tuple[tuple[tuple[float, str], ...], tuple[str, ...]]:
    """A default endpoint's routes and shadows, its service's split resolved to endpoint ids (one query, on
    this slow path only, and only when the service has a split)."""
    traffic = endpoint.service.traffic or {}
    if not endpoint.is_default or not traffic:
        return (), ()
    names = {*(traffic.get("split") or {}), *(traffic.get("shadow") or [])}
    ids = dict(Endpoint.objects.filter(service_id=endpoint.service_id, name__in=names)
               .values_list("name", "endpoint_id"))
    shadows = tuple(ids[name] for name in traffic.get("shadow") or [] if name in ids)
    return routes(traffic, ids, endpoint.endpoint_id), shadows


def routes(traffic: dict[str, Any], endpoint_ids: dict[str, str], default: str) -> tuple[tuple[float, str], ...]:
    """The split as the scoring state keeps it: (cumulative share, endpoint id) per endpoint taking calls, in a
    stable order; the share of an endpoint that no longer exists stays with the default endpoint. Empty when
    every call is the default endpoint's own."""
    bounds: list[tuple[float, str]] = []
    total = 0.0
    for name, share in sorted((traffic.get("split") or {}).items()):
        total += share
        bounds.append((total, endpoint_ids.get(name, default)))
    return tuple(bounds) if any(endpoint_id != default for _, endpoint_id in bounds) else ()


def route(state: Served, draw: float) -> str:
    """The endpoint id that serves a call to `state`'s endpoint, for a uniform draw in [0, 1)."""
    share = draw * 100
    for bound, endpoint_id in state.routes:
        if share < bound:
            return endpoint_id
    return state.endpoint_id


def resources_patched(snapshot: list[dict[str, Any]], patches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The snapshot's resources with an endpoint's patched ones (same Name) in their place."""
    by_name = {patch["Name"]: patch for patch in patches or []}
    return [{**resource, **by_name[resource["Name"]]} if resource["Name"] in by_name else resource
            for resource in snapshot]


CHANNEL = "atelier:endpoint-changed"
_generations: dict[str, int] = {}  # endpoint id -> changes this process has heard of
_publisher: Any = None  # a redis.Redis (its stubs type every command as maybe-awaitable)
_listener_pid = 0  # the process whose subscriber thread runs (a forked child starts its own)
_stopping = threading.Event()
logger = logging.getLogger(__name__)


def _generation(endpoint_id: str) -> int:
    return _generations.get(endpoint_id, 0)


def _bump(endpoint_id: str) -> None:
    _generations[endpoint_id] = _generations.get(endpoint_id, 0) + 1


def signal_change(endpoint_id: str) -> None:
    """Tell every process, on any host, that the endpoint changed (a patch, a rollback, a deletion): this one at
    once, the others through Redis on their next request. Unreachable Redis: the others within a second."""
    global _publisher
    _bump(endpoint_id)
    try:
        if _publisher is None:
            _publisher = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        _publisher.publish(CHANNEL, endpoint_id)
    except redis.RedisError as error:
        logger.warning("Endpoint change of %s not published (%s): other processes see it within %.0f s",
                       endpoint_id, error, REVALIDATE_SECONDS)


def _listen() -> None:
    """The subscriber thread: bump the generation of each endpoint named on the channel; reconnect for ever."""
    down = False
    while not _stopping.is_set():
        client: Any = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_keepalive=True,
                                           health_check_interval=30)
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(CHANNEL)
            while not _stopping.is_set():  # get_message, not listen(): it pings a silent connection now and then
                message = pubsub.get_message(timeout=2.0)
                if message is None:
                    continue
                if message["type"] == "subscribe":  # from here on no change is missed:
                    _revalidate_all()  # revalidate what may have changed while we were not listening
                    if down:
                        logger.warning("Endpoint change channel reachable again")
                    down = False
                elif message["type"] == "message":
                    _bump(message["data"].decode())
        except (redis.RedisError, OSError) as error:
            if not down and not _stopping.is_set():
                logger.warning("Endpoint change channel unreachable (%s): endpoints revalidate once a second", error)
            down = True
        finally:
            try:
                pubsub.close()
                client.close()
            except (redis.RedisError, OSError):
                pass
        _stopping.wait(1.0)


def stop_listening() -> None:
    """End the subscriber thread within a few seconds (a test session, before it stops its Redis)."""
    _stopping.set()


def _revalidate_all() -> None:
    for known in list(_served.values()):
        known.checked = float("-inf")


def _ensure_listener() -> None:
    """Start this process's subscriber thread, once per process (called on the slow path, under the lock)."""
    global _listener_pid
    if _listener_pid != os.getpid():
        _listener_pid = os.getpid()
        threading.Thread(target=_listen, name="endpoint-changes", daemon=True).start()


def _current(known: Served | None, endpoint_id: str) -> bool:
    return known is not None and time.monotonic() - known.checked < REVALIDATE_SECONDS \
        and _generation(endpoint_id) == known.generation


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
        _ensure_listener()
        known = _served.get(endpoint_id)
        if _current(known, endpoint_id):
            return known
        generation = _generation(endpoint_id)  # read before the database: a change after it is seen next time
        fresh = _fresh(endpoint_id, known)
        if fresh is not None:
            fresh.generation = generation
        if fresh is None:
            _served.pop(endpoint_id, None)
        else:
            _served[endpoint_id] = fresh
        return fresh


def forget_all() -> None:
    """Drop every compiled scorer (tests; a process that wants a clean start)."""
    with _lock:
        _served.clear()
