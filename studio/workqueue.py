"""The fair work queue (issue 14, finding 6) and the republisher (finding 7).

Work (an experiment run, a batch job) is recorded as queued in the database; the broker only holds what has
been admitted. `work_dispatch` admits waiting work while its workspace has fewer than
ATELIER_WORKSPACE_CONCURRENCY items in flight: the workspace with the fewest in flight first (then the one whose
oldest item has waited longest), oldest first within a workspace. It runs when work is submitted or cancelled,
after every work task, when a worker starts and on beat, so one workspace's backlog never stands in front of
another's work: a newcomer waits only for work already in flight. A batch job's chunk and join tasks are sent at
a lower priority than admitted work, so a big job's chunks don't hold back another workspace's one-row job.

Every task sent for work is recorded first (its id and when it was sent) by the app that owns the work, and a
worker acknowledges it by receiving or claiming it. `work_republish` sends again, under a new id, what no worker
acknowledged within ATELIER_REPUBLISH_AFTER seconds and the broker no longer holds (lost in a Redis restart
without persistence, or never sent because Redis was down). A delivery whose id is no longer the work's current
one does nothing, so each piece of work runs once however many messages went out.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from studio import processes

logger = logging.getLogger(__name__)
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
FIRST, LATER = 0, 6  # message priorities (Redis serves 0 first): admitted work; a big job's chunk and join tasks
RETRY_AFTER = 10  # seconds, the Retry-After of a 503 while the task queue can't be reached


class QueueUnavailable(Exception):
    """The task queue (Redis) can't be reached, so work that must be handed to the workers now is refused."""

    retry_after = RETRY_AFTER

    def __init__(self, what: str) -> None:
        self.message = f"The task queue (Redis) can't be reached, so {what}. Try again in a few seconds."
        super().__init__(self.message)


@dataclass(frozen=True)
class Waiting:
    """Work recorded as queued and not sent. `admit`, called in a transaction, claims it and sends its task when
    the transaction commits; False if another dispatcher took it first."""

    workspace: str
    since: datetime
    admit: Callable[[], bool]


@dataclass(frozen=True)
class Unacknowledged:
    """A task sent that no worker has received. `resend` gives it a new id and sends it again; False if a worker
    received it (or its work ended) meanwhile."""

    task_id: str
    resend: Callable[[], bool]


class WorkSource(Protocol):
    """What an app tells the queue about its work (experiments/run_queue.py, webservices/job_queue.py)."""

    task_names: frozenset[str]

    def in_flight(self, workspace: str | None = None) -> Counter[str]: ...

    def waiting(self, workspace: str | None = None) -> list[Waiting]: ...

    def unacknowledged(self, sent_before: datetime) -> list[Unacknowledged]: ...


_sources: list[WorkSource] = []


def register(source: WorkSource) -> None:
    """Called from an app's ready(), once per kind of work."""
    if all(type(known) is not type(source) for known in _sources):
        _sources.append(source)


def work_task_names() -> frozenset[str]:
    return frozenset(name for source in _sources for name in source.task_names)


def count_by_workspace(work: QuerySet[Any], field: str) -> Counter[str]:
    """{workspace id: how many}, for a source's in_flight (the models' default ordering must not group)."""
    return Counter(dict(work.order_by().values_list(field).annotate(count=Count("pk"))))


def oldest_per_workspace(work: QuerySet[Any], field: str, since: str,
                         workspace: str | None = None) -> list[tuple[Any, str, datetime]]:
    """(pk, workspace, since) of each workspace's oldest waiting items, as many as a dispatch can admit (so a
    workspace with a backlog of thousands never hides another's work from the dispatcher)."""
    owners = [workspace] if workspace else list(work.order_by().values_list(field, flat=True).distinct())
    per = settings.ATELIER_WORKSPACE_CONCURRENCY
    return [row for owner in owners
            for row in work.filter(**{field: owner}).order_by(since, "pk").values_list("pk", field, since)[:per]]


# --- Fair dispatch ---------------------------------------------------------------------------------------


def in_flight(workspace: str | None = None) -> Counter[str]:
    total: Counter[str] = Counter()
    for source in _sources:
        total.update(source.in_flight(workspace))
    return total


def work_dispatch(workspace: str | None = None) -> int:
    """Admit waiting work (of one workspace, or of all) while its workspace is under the limit, round-robin
    across workspaces. Nothing is admitted while the queue can't be reached: the work waits in the database."""
    queues: dict[str, list[Waiting]] = {}
    for item in sorted((item for source in _sources for item in source.waiting(workspace)), key=lambda i: i.since):
        queues.setdefault(item.workspace, []).append(item)
    if not queues or not queue_reachable():
        return 0
    limit, flight, admitted = settings.ATELIER_WORKSPACE_CONCURRENCY, in_flight(workspace), 0
    while queues:
        chosen = min(queues, key=lambda name: (flight[name], queues[name][0].since))
        if flight[chosen] >= limit:
            break
        item = queues[chosen].pop(0)
        if not queues[chosen]:
            del queues[chosen]
        outcome = _admit(item, limit)
        if outcome is None:  # another dispatcher filled the workspace meanwhile
            flight[chosen] = limit
        elif outcome:
            flight[chosen] += 1
            admitted += 1
    return admitted


def _admit(item: Waiting, limit: int) -> bool | None:
    """Count and claim under the workspace's row lock (SQLite's immediate transactions serialise the same way),
    so two dispatchers never both admit a workspace's last free place. None when it has no place left."""
    from .models import Workspace

    with transaction.atomic():
        list(Workspace.objects.select_for_update().filter(pk=item.workspace).values_list("pk", flat=True))
        if in_flight(item.workspace)[item.workspace] >= limit:
            return None
        return item.admit()


# --- Republishing ----------------------------------------------------------------------------------------


def work_republish() -> int:
    """Send again the tasks no worker acknowledged within ATELIER_REPUBLISH_AFTER seconds that the broker no
    longer holds. Returns how many were sent."""
    cutoff = timezone.now() - timedelta(seconds=settings.ATELIER_REPUBLISH_AFTER)
    candidates = [item for source in _sources for item in source.unacknowledged(cutoff)]
    if not candidates:
        return 0
    held = broker_held_ids()
    if held is None:
        return 0
    resent = [item.task_id for item in candidates if item.task_id not in held and item.resend()]
    if resent:
        logger.warning("Sent again %d task(s) the task queue had lost: %s", len(resent), ", ".join(resent))
    return len(resent)


def broker_held_ids() -> set[str] | None:
    """The ids of the task messages the broker holds: waiting in the queue (at every priority) or delivered to a
    worker and not acknowledged yet. None when the broker can't be read."""
    from kombu.transport.redis import Channel

    client = _client(timeout=5)
    try:
        waiting = [json.loads(raw) for key in queue_keys() for raw in cast(list[bytes], client.lrange(key, 0, -1))]
        delivered = [json.loads(raw)[0] for raw in cast(list[bytes], client.hvals(Channel.unacked_key))]
    except (redis.RedisError, OSError, ValueError, IndexError):
        return None
    finally:
        client.close()
    return {str(message.get("headers", {}).get("id", "")) for message in waiting + delivered} - {""}


def queue_keys() -> list[str]:
    """The Redis lists kombu keeps the default queue in, one per priority step (`celery`, `celery\\x06\\x163`…)."""
    from kombu.transport.redis import PRIORITY_STEPS, Channel

    from .celery import app

    options: dict[str, Any] = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    queue, sep = app.conf.task_default_queue, options.get("sep", Channel.sep)
    steps: list[int] = options.get("priority_steps", PRIORITY_STEPS)
    return [f"{queue}{sep}{step}" if step else queue for step in steps]


# --- The broker ------------------------------------------------------------------------------------------


def _client(timeout: float) -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=timeout, socket_timeout=timeout)


def queue_reachable(timeout: float = 1.0) -> bool:
    return processes.redis_answers(settings.CELERY_BROKER_URL, timeout)


def queue_required(what: str) -> None:
    """Refuse (QueueUnavailable: a 503) work that must reach the workers now, while the queue is down."""
    if not queue_reachable():
        raise QueueUnavailable(what)


def new_task_id() -> str:
    return str(uuid.uuid4())


def send(task: Any, args: tuple[Any, ...], task_id: str, priority: int = FIRST) -> bool:
    """Publish one task message. False (logged) when the broker can't be reached: the work stays recorded as
    sent and unacknowledged, and work_republish sends it once the broker is back.

    `task` is a task or its registered name: a queue that only sends (experiments.run_queue) names the task
    and so needs no import of the module that runs it, which imports the queue's callers (no cycle)."""
    from .celery import app

    name = task if isinstance(task, str) else task.name
    try:
        app.send_task(name, args, task_id=task_id, priority=priority, retry=True, retry_policy=PUBLISH_RETRY,
                      ignore_result=True)
    except Exception as error:  # kombu/redis connection errors have no common base worth naming here
        logger.warning("Task %s (%s) not sent: the task queue is unreachable (%s)", task_id, name, error)
        return False
    return True


__all__ = ["FIRST", "LATER", "QueueUnavailable", "Unacknowledged", "Waiting", "WorkSource", "broker_held_ids",
           "count_by_workspace", "new_task_id", "oldest_per_workspace", "queue_reachable", "queue_required",
           "register", "send", "work_dispatch", "work_republish", "work_task_names"]
