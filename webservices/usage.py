"""Usage counters and the request log, written off the request path.

`record_call` only appends to an in-process buffer; a daemon thread flushes it every FLUSH_SECONDS in one
transaction (per-minute buckets updated, log rows inserted in bulk), so a scoring call never waits on the
database. A process that stops may lose at most the last interval's counts.

The log is bounded (issue 14, finding 5: failing calls wrote 350 MiB in 7 s): a body is cut to
MAX_LOGGED_BYTES when the call is recorded, and past MAX_BUFFERED_BYTES buffered the bodies are dropped (the
call still counts); identical failures of an endpoint (same status, same error) within
ATELIER_REQUEST_LOG_REPEAT_SECONDS are one row with a count; rows older than ATELIER_REQUEST_LOG_DAYS or past
ATELIER_REQUEST_LOG_MAX_MB in all are deleted, oldest first, by `request_log_prune`: from the flusher each time
it has written a tenth of that size, and from a beat task every few minutes. Usage buckets count every call.
"""

from __future__ import annotations

import atexit
import bisect
import hashlib
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson

from .flushing import Flusher

if TYPE_CHECKING:
    from .models import RequestLog

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 1.0
MAX_LOGGED_BYTES = 64 * 1024
MAX_BUFFERED_BYTES = 64 * 1024 * 1024


@dataclass
class Call:
    endpoint: int
    at: float
    status: int
    duration_ms: float
    request: bytes | None
    response: dict[str, Any] | None
    source: str = "api"


_buffer: list[Call] = []
_lock = threading.Lock()
_buffered_bytes = 0
_written_bytes = 0  # logged since this process last pruned


def record_call(endpoint: int, *, status: int, duration_ms: float, trace_level: str, request: bytes,
                response: dict[str, Any], source: str = "api") -> None:
    """Count the call; keep its bodies when the trace level asks for them. Never touches the database.
    `source` is "api" for a client's call, "studio" for the endpoint page's Test form."""
    global _buffered_bytes
    keep = trace_level == "All" or (trace_level == "Error" and status >= 400)
    kept = request[:MAX_LOGGED_BYTES + 1] if keep else None
    with _lock:
        if kept is not None and _buffered_bytes + len(kept) > MAX_BUFFERED_BYTES:
            kept = None  # the database is behind: count the call, don't hold its bodies
        _buffered_bytes += len(kept) if kept is not None else 0
        _buffer.append(Call(endpoint, time.time(), status, duration_ms, kept, response if kept is not None else None,
                            source))
    _flusher.ensure()


def _text(data: Any) -> str:
    raw = data if isinstance(data, bytes) else orjson.dumps(data)
    text = raw[:MAX_LOGGED_BYTES].decode("utf-8", "replace")
    return text + ("…" if len(raw) > MAX_LOGGED_BYTES else "")


def flush() -> int:
    """Write what is buffered; returns how many calls were written."""
    from django.db import close_old_connections, transaction

    global _buffered_bytes, _written_bytes
    with _lock:
        calls = _buffer[:]
        _buffer.clear()
        _buffered_bytes = 0
    if not calls:
        return 0
    close_old_connections()
    from .models import Endpoint

    existing = set(Endpoint.objects.filter(pk__in={c.endpoint for c in calls}).values_list("pk", flat=True))
    calls = [call for call in calls if call.endpoint in existing]
    with transaction.atomic():
        _count(calls)
        _written_bytes += _log(calls)
    if _written_bytes * 10 >= settings_max_log_bytes():
        _written_bytes = 0
        request_log_prune()
    close_old_connections()
    return len(calls)


def _count(calls: list[Call]) -> None:
    """Every call into its endpoint's minute bucket: calls, errors, latency histogram."""
    from .models import LATENCY_BOUNDS_MS, UsageBucket

    buckets: dict[tuple[int, datetime], list[Call]] = defaultdict(list)
    for call in calls:
        buckets[(call.endpoint, datetime.fromtimestamp(call.at - call.at % 60, tz=UTC))].append(call)
    for (endpoint, minute), group in buckets.items():
        bucket, _ = UsageBucket.objects.select_for_update().get_or_create(
            endpoint_id=endpoint, minute=minute, defaults={"histogram": [0] * (len(LATENCY_BOUNDS_MS) + 1)})
        for call in group:
            bucket.histogram[bisect.bisect_left(LATENCY_BOUNDS_MS, call.duration_ms)] += 1
        bucket.calls += len(group)
        bucket.errors += sum(1 for call in group if call.status >= 400)
        bucket.studio_calls += sum(1 for call in group if call.source == "studio")
        bucket.total_ms += sum(call.duration_ms for call in group)
        bucket.save()


def _log(calls: list[Call]) -> int:
    """The calls whose bodies are kept, as log rows; a failure that repeats one of the window's is counted on
    that row instead. Returns the bytes written."""
    from django.conf import settings
    from django.db.models import F

    from .models import RequestLog

    rows: dict[tuple[int, str], RequestLog] = {}
    for call in (call for call in calls if call.request is not None):
        row = _row(call)
        if not row.fingerprint:
            rows[(call.endpoint, f"call-{id(call)}")] = row
        elif (known := rows.get((call.endpoint, row.fingerprint))) is not None:
            known.repeats, known.last_time = known.repeats + 1, row.time
        else:
            rows[(call.endpoint, row.fingerprint)] = row
    window = datetime.now(tz=UTC) - timedelta(seconds=settings.ATELIER_REQUEST_LOG_REPEAT_SECONDS)
    new = []
    for row in rows.values():
        repeated = RequestLog.objects.filter(endpoint_id=row.endpoint_id, fingerprint=row.fingerprint,
                                             last_time__gte=window).order_by("-last_time").values_list(
            "pk", flat=True).first() if row.fingerprint else None
        if repeated is None:
            new.append(row)
        else:
            RequestLog.objects.filter(pk=repeated).update(repeats=F("repeats") + row.repeats, last_time=row.last_time)
    RequestLog.objects.bulk_create(new)
    return sum(row.size for row in new)


def _row(call: Call) -> RequestLog:
    from .models import RequestLog

    request, response = _text(call.request or b""), _text(call.response or {})
    at = datetime.fromtimestamp(call.at, tz=UTC)
    fingerprint = (hashlib.sha256(f"{call.status}\n{call.source}\n{response}".encode()).hexdigest()[:32]
                   if call.status >= 400 else "")
    return RequestLog(endpoint_id=call.endpoint, time=at, last_time=at, status=call.status,
                      duration_ms=call.duration_ms, request=request, response=response, fingerprint=fingerprint,
                      size=len(request.encode()) + len(response.encode()), source=call.source)


def settings_max_log_bytes() -> int:
    from django.conf import settings

    return int(settings.ATELIER_REQUEST_LOG_MAX_MB) * 1024 * 1024


def request_log_prune(now: datetime | None = None) -> int:
    """Delete log rows older than ATELIER_REQUEST_LOG_DAYS, then the oldest past ATELIER_REQUEST_LOG_MAX_MB in
    all. Returns how many went."""
    from django.conf import settings
    from django.db.models import Sum

    from .models import RequestLog

    now = now or datetime.now(tz=UTC)
    deleted, _ = RequestLog.objects.filter(time__lt=now - timedelta(days=settings.ATELIER_REQUEST_LOG_DAYS)).delete()
    limit = settings_max_log_bytes()
    if (RequestLog.objects.aggregate(total=Sum("size"))["total"] or 0) <= limit:
        return deleted
    kept, cutoff = 0, None
    for pk, size in RequestLog.objects.order_by("-time", "-pk").values_list("pk", "size").iterator(chunk_size=2000):
        kept += size
        if kept > limit:
            cutoff = pk
            break
    if cutoff is not None:
        oldest_kept = RequestLog.objects.filter(pk=cutoff).values_list("time", flat=True).get()
        gone, _ = RequestLog.objects.filter(time__lte=oldest_kept).delete()
        deleted += gone
    return deleted


def discard() -> None:
    """Forget what is buffered (tests: a test's calls must not be written into the next test's database)."""
    global _buffered_bytes
    with _lock:
        _buffer.clear()
        _buffered_bytes = 0


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


_flusher = Flusher("usage-flusher", lambda: flush(), FLUSH_SECONDS, "Could not write scoring usage")
atexit.register(lambda: flush() if _buffer else None)
