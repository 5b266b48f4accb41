"""Shadow endpoints (issue 20, item 3): how a candidate's answers compare with the answers callers got.

A shadow endpoint receives a copy of each call its service's default endpoint serves, scored off the request
(webservices/scoring/call.py hands it to a small bounded pool after the caller's answer is made; the answer
never waits for it nor carries anything of it). Its answer is compared here with the caller's: identical or
not, and the absolute differences of the numeric values (the classic wire sends numbers as strings, which are
read back as floats). `compared` only appends to an in-process buffer; a daemon thread adds the counts to one
ShadowComparison row per shadow endpoint every FLUSH_SECONDS, so every web process contributes.
"""

from __future__ import annotations

import atexit
import math
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .flushing import Flusher

if TYPE_CHECKING:
    from .models import WebService

FLUSH_SECONDS = 1.0


@dataclass
class Tally:
    """One shadow endpoint's comparisons waiting for the next flush."""

    calls: int = 0
    identical: int = 0
    failed: int = 0
    skipped: int = 0
    numbers: int = 0
    abs_diff: float = 0.0


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def difference(primary: Any, shadow: Any) -> tuple[int, float]:
    """(numeric values compared, sum of their absolute differences) over two answers' Results, walked in
    parallel (classic tables or swagger row lists alike); parts whose shapes differ contribute nothing."""
    if isinstance(primary, dict) and isinstance(shadow, dict):
        pairs = [(primary[key], shadow[key]) for key in primary if key in shadow]
    elif isinstance(primary, list) and isinstance(shadow, list):
        pairs = list(zip(primary, shadow, strict=False))
    else:
        left, right = _number(primary), _number(shadow)
        return (1, abs(left - right)) if left is not None and right is not None else (0, 0.0)
    numbers, total = 0, 0.0
    for left, right in pairs:
        count, diff = difference(left, right)
        numbers, total = numbers + count, total + diff
    return numbers, total


_pending: dict[str, Tally] = defaultdict(Tally)  # shadow endpoint id -> counts since the last flush
_lock = threading.Lock()


def compared(endpoint_id: str, primary: Any, shadow: Any | None) -> None:
    """Count one copy: the caller's Results against the shadow's (None: the shadow answered with an error)."""
    numbers, diff = difference(primary, shadow) if shadow is not None else (0, 0.0)
    with _lock:
        tally = _pending[endpoint_id]
        tally.calls += 1
        if shadow is None:
            tally.failed += 1
        else:
            tally.identical += primary == shadow
            tally.numbers += numbers
            tally.abs_diff += diff
    _flusher.ensure()


def skipped(endpoint_id: str) -> None:
    """Count a copy that was not scored because shadow work was behind."""
    with _lock:
        _pending[endpoint_id].skipped += 1
    _flusher.ensure()


def flush() -> int:
    """Add what is buffered to the shadow endpoints' rows; returns the copies written."""
    from django.db import close_old_connections, transaction
    from django.db.models import F

    from .models import Endpoint, ShadowComparison

    with _lock:
        waiting = dict(_pending)
        _pending.clear()
    if not waiting:
        return 0
    close_old_connections()
    known = dict(Endpoint.objects.filter(endpoint_id__in=waiting).values_list("endpoint_id", "pk"))
    written = 0
    for endpoint_id, tally in waiting.items():
        if endpoint_id not in known:  # deleted meanwhile
            continue
        with transaction.atomic():
            row, _ = ShadowComparison.objects.get_or_create(endpoint_id=known[endpoint_id])
            ShadowComparison.objects.filter(pk=row.pk).update(
                calls=F("calls") + tally.calls, identical=F("identical") + tally.identical,
                failed=F("failed") + tally.failed, skipped=F("skipped") + tally.skipped,
                numbers=F("numbers") + tally.numbers, abs_diff=F("abs_diff") + tally.abs_diff)
        written += tally.calls
    close_old_connections()
    return written


def discard() -> None:
    """Forget what is buffered (tests)."""
    with _lock:
        _pending.clear()


_flusher = Flusher("shadow-flusher", lambda: flush(), FLUSH_SECONDS, "Could not write shadow comparisons")
atexit.register(lambda: flush() if _pending else None)


def report(service: WebService) -> list[dict[str, Any]]:
    """Per shadow endpoint of the service: copies compared, the share of identical answers, the mean absolute
    difference of the numeric outputs, copies failed and skipped, since when."""
    from .models import ShadowComparison

    rows = []
    for row in ShadowComparison.objects.filter(endpoint__service=service).select_related("endpoint"):
        rows.append({"endpoint": row.endpoint.name, "calls": row.calls, "identical": row.identical,
                     "identical_share": round(row.identical / row.calls, 4) if row.calls else None,
                     "mean_abs_diff": row.abs_diff / row.numbers if row.numbers else None,
                     "numbers_compared": row.numbers, "failed": row.failed, "skipped": row.skipped,
                     "since": row.since.isoformat()})
    return sorted(rows, key=lambda row: row["endpoint"])
