"""The three checks behind GET /healthz: database, Redis, and a worker that answers a task."""

from __future__ import annotations

from collections.abc import Callable

import redis
from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.db import connection

OK = "ok"


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def check_redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return OK


def check_worker() -> str:
    """A real round trip through the broker: a worker must pick up and answer a ping task."""
    from .tasks import ping

    timeout = settings.ATELIER_HEALTH_WORKER_TIMEOUT
    # The ping expires unanswered, so a missing worker doesn't leave a pile of pings in the queue.
    result = ping.apply_async(expires=timeout + 1)
    try:
        answer = result.get(timeout=timeout, disable_sync_subtasks=False)
    except CeleryTimeout:
        return f"no worker answered a ping within {timeout:g} s"
    finally:
        result.forget()
    return OK if answer == "pong" else f"unexpected answer {answer!r}"


def run_check(check: Callable[[], str]) -> str:
    try:
        return check()
    except Exception as error:  # a health check reports every failure rather than raising
        return f"{type(error).__name__}: {error}"


def health_report() -> dict[str, str]:
    """Each part's state: "ok" or the reason it failed. The worker is unreachable without Redis."""
    report = {"database": run_check(check_database), "redis": run_check(check_redis)}
    report["worker"] = run_check(check_worker) if report["redis"] == OK else "unreachable: Redis is down"
    return report
