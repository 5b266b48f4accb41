"""The request log stays bounded (issue 14, finding 5: failing calls wrote 350 MiB in 7 s and nothing ever
pruned it): identical failures are counted on one row, old rows go, and the total size holds its limit;
usage still counts every call."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.db.models import Sum

from tests.webservices.test_inline_scoring import deployed
from webservices import usage
from webservices.models import Endpoint, RequestLog, UsageBucket, WebService
from webservices.services import endpoint_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def logged_service(api, owner, studio_server, worker):
    from experiments.engine.graph import edge_json as edge

    url, key = deployed(api, owner, studio_server, "Logged", [],
                        [edge("data", "dataset", "train", "dataset"), edge("data", "dataset", "score", "dataset")])
    Endpoint.objects.update(diagnostics_trace_level="Error")
    time.sleep(1.2)  # the server revalidates endpoint settings within a second
    return url, key


def wait_for_calls(count: int) -> None:
    deadline = time.monotonic() + 30
    while (UsageBucket.objects.aggregate(calls=Sum("calls"))["calls"] or 0) < count:
        assert time.monotonic() < deadline, "usage was not written within 30 s"
        time.sleep(0.3)


def test_a_burst_of_identical_failures_is_one_counted_row_and_every_call_is_in_usage(logged_service):
    url, key = logged_service
    padding = "p" * 40_000  # each failing body is large; only one of each error is kept

    def body(x: str | None) -> bytes:
        columns, row = (["x", "note"], [x, padding]) if x is not None else (["note"], [padding])
        return json.dumps({"Inputs": {"input1": {"ColumnNames": columns, "Values": [row]}}}).encode()

    missing, wrong = body(None), body("not a number")

    def post(body: bytes) -> int:
        return httpx.post(url, content=body, headers={"Authorization": f"Bearer {key}"}, timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(post, [missing] * 300 + [wrong] * 100))
    assert set(statuses) == {400}
    wait_for_calls(400)
    time.sleep(FLUSH_MARGIN)
    rows = list(RequestLog.objects.order_by("time"))
    assert len(rows) == 2, [(row.repeats, row.response[:80]) for row in rows]
    counted = {row.response.split('"message":"')[1][:30]: row.repeats for row in rows}
    assert sorted(counted.values()) == [100, 300], counted
    assert all(row.last_time >= row.time and row.size > 40_000 for row in rows)
    bucket_errors = UsageBucket.objects.aggregate(errors=Sum("errors"))["errors"]
    assert bucket_errors == 400


FLUSH_MARGIN = 2 * usage.FLUSH_SECONDS


@pytest.fixture
def endpoint(owner):
    service = WebService.objects.create(workspace=owner.workspace, name="Logged", kind=WebService.Kind.PREDICTIVE)
    return endpoint_create(service=service, name="default", is_default=True)[0]


def log_row(endpoint: Endpoint, at: datetime, size: int) -> RequestLog:
    return RequestLog.objects.create(endpoint=endpoint, time=at, last_time=at, status=400, duration_ms=1.0,
                                     request="r" * size, response="{}", size=size + 2)


def test_rows_older_than_the_retention_are_pruned(endpoint, settings):
    settings.ATELIER_REQUEST_LOG_DAYS = 7
    now = datetime.now(tz=UTC)
    old = [log_row(endpoint, now - timedelta(days=days), 10) for days in (8, 30)]
    recent = [log_row(endpoint, now - timedelta(days=days), 10) for days in (0, 6)]
    assert usage.request_log_prune(now) == 2
    assert set(RequestLog.objects.values_list("pk", flat=True)) == {row.pk for row in recent}
    assert not RequestLog.objects.filter(pk__in=[row.pk for row in old]).exists()


def test_the_total_size_holds_its_limit_newest_kept(endpoint, settings):
    """Distinct failures of 64 KiB each, recorded and flushed as the server does, under a 1 MiB limit."""
    settings.ATELIER_REQUEST_LOG_MAX_MB = 1
    for number in range(48):  # 3 MiB of bodies, each failure different (no two share a row)
        usage.record_call(endpoint.pk, status=400, duration_ms=1.0, trace_level="Error",
                          request=b"%d" % number + b"b" * (64 * 1024), response={"error": {"message": f"n{number}"}})
    usage.flush()
    total = RequestLog.objects.aggregate(total=Sum("size"))["total"]
    assert 0 < total <= 1024 * 1024
    newest = RequestLog.objects.order_by("-time").first()
    assert '"n47"' in newest.response
    assert UsageBucket.objects.get(endpoint=endpoint).calls == 48  # every call counted, logged or not
