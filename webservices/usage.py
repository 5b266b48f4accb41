"""Usage counters and the request log, written off the request path.

`record_call` only appends to an in-process buffer; a daemon thread flushes it every FLUSH_SECONDS in one
transaction (per-minute buckets updated, log rows inserted in bulk), so a scoring call never waits on the
database. A process that stops may lose at most the last interval's counts.
"""

from __future__ import annotations

import atexit
import bisect
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 1.0
MAX_LOGGED_BYTES = 64 * 1024


@dataclass
class Call:
    endpoint: int
    at: float
    status: int
    duration_ms: float
    request: bytes | None
    response: dict[str, Any] | None


_buffer: list[Call] = []
_lock = threading.Lock()
_thread: threading.Thread | None = None


def record_call(endpoint: int, *, status: int, duration_ms: float, trace_level: str, request: bytes,
                response: dict[str, Any]) -> None:
    """Count the call; keep its bodies when the trace level asks for them. Never touches the database."""
    keep = trace_level == "All" or (trace_level == "Error" and status >= 400)
    call = Call(endpoint, time.time(), status, duration_ms, request if keep else None, response if keep else None)
    with _lock:
        _buffer.append(call)
    _ensure_flusher()


def _ensure_flusher() -> None:
    global _thread
    if _thread is None or not _thread.is_alive():
        with _lock:
            if _thread is None or not _thread.is_alive():
                _thread = threading.Thread(target=_flush_forever, name="usage-flusher", daemon=True)
                _thread.start()


def _flush_forever() -> None:
    while True:
        time.sleep(FLUSH_SECONDS)
        try:
            flush()
        except Exception:  # counters are best effort; scoring must not depend on them
            logger.exception("Could not write scoring usage")


def _text(data: Any) -> str:
    raw = data if isinstance(data, bytes) else orjson.dumps(data)
    text = raw[:MAX_LOGGED_BYTES].decode("utf-8", "replace")
    return text + ("…" if len(raw) > MAX_LOGGED_BYTES else "")


def flush() -> int:
    """Write what is buffered; returns how many calls were written."""
    from django.db import close_old_connections, transaction

    from .models import LATENCY_BOUNDS_MS, Endpoint, RequestLog, UsageBucket

    with _lock:
        calls = _buffer[:]
        _buffer.clear()
    if not calls:
        return 0
    close_old_connections()
    buckets: dict[tuple[int, datetime], list[Call]] = defaultdict(list)
    for call in calls:
        minute = datetime.fromtimestamp(call.at - call.at % 60, tz=UTC)
        buckets[(call.endpoint, minute)].append(call)
    existing = set(Endpoint.objects.filter(pk__in={c.endpoint for c in calls}).values_list("pk", flat=True))
    with transaction.atomic():
        for (endpoint, minute), group in buckets.items():
            if endpoint not in existing:
                continue
            bucket, _ = UsageBucket.objects.select_for_update().get_or_create(
                endpoint_id=endpoint, minute=minute, defaults={"histogram": [0] * (len(LATENCY_BOUNDS_MS) + 1)})
            for call in group:
                bucket.histogram[bisect.bisect_left(LATENCY_BOUNDS_MS, call.duration_ms)] += 1
            bucket.calls += len(group)
            bucket.errors += sum(1 for call in group if call.status >= 400)
            bucket.total_ms += sum(call.duration_ms for call in group)
            bucket.save()
        RequestLog.objects.bulk_create([
            RequestLog(endpoint_id=call.endpoint, time=datetime.fromtimestamp(call.at, tz=UTC), status=call.status,
                       duration_ms=call.duration_ms, request=_text(call.request or b""),
                       response=_text(call.response or {}))
            for call in calls if call.request is not None and call.endpoint in existing])
    close_old_connections()
    return len(calls)


def discard() -> None:
    """Forget what is buffered (tests: a test's calls must not be written into the next test's database)."""
    with _lock:
        _buffer.clear()


def percentile(histogram: list[int], fraction: float) -> float | None:
    """The latency bound (ms) under which `fraction` of the calls fell, read from a bucket histogram."""
    from .models import LATENCY_BOUNDS_MS

    total = sum(histogram)
    if total == 0:
        return None
    seen = 0
    for index, count in enumerate(histogram):
        seen += count
        if seen >= fraction * total:
            return float(LATENCY_BOUNDS_MS[index]) if index < len(LATENCY_BOUNDS_MS) else float("inf")
    return float("inf")


atexit.register(lambda: flush() if _buffer else None)
